package modelpack

import (
	"context"
	"os"
	"strings"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
)

// manifestOf builds with opts and returns the manifest as a reader sees it.
func manifestOf(t *testing.T, opts Options) *Artifact {
	t.Helper()
	dir, d := build(t, opts)
	ctx := context.Background()
	store, err := oci.NewFromFS(ctx, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := content.FetchAll(ctx, store, d)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	return Describe(m, nil)
}

// A coded layer's title says what the blob is, never the file's name;
// ckpt still finds the file's path.
func TestVariantTitles(t *testing.T) {
	for codec, suffix := range map[string]string{CodecTar: ".tar", CodecZstd: ".tar.zst", CodecFloat: ".bplane"} {
		a := manifestOf(t, Options{Name: "tiny", Metadata: testMeta, Tag: "bundle", WeightCodec: codec, TextCodec: CodecTar})
		for _, f := range a.Files {
			title := f.Layer.Annotations[specv1.AnnotationTitle]
			want := ".tar"
			if Classify(f.Path, 0) == KindWeight {
				want = suffix
			}
			if title != f.Path+want || f.Path != f.Layer.Annotations[specv1.AnnotationFilepath] {
				t.Errorf("%s: %s titled %q (%s)", codec, f.Path, title, f.Layer.MediaType)
			}
		}
	}
	a := manifestOf(t, Options{Name: "tiny", Metadata: testMeta, Tag: "bundle", WeightCodec: CodecTar})
	for _, f := range a.Files {
		if Classify(f.Path, 0) == KindWeight && f.Layer.MediaType != specv1.MediaTypeModelWeightTar {
			t.Errorf("tar weights: %s is %s", f.Path, f.Layer.MediaType)
		}
	}
}

func TestVariantFloatIsNotModelPack(t *testing.T) {
	a := manifestOf(t, Options{Name: "tiny", Metadata: testMeta, Tag: "bundle", WeightCodec: CodecFloat})
	if a.Format != FormatFloat || a.Manifest.ArtifactType != ArtifactTypeFloatModel || a.Manifest.Config.MediaType != MediaTypeFloatModelConfig {
		t.Fatalf("float bundle: format %s, artifactType %s, config %s", a.Format, a.Manifest.ArtifactType, a.Manifest.Config.MediaType)
	}
}

func TestVariantCNAI(t *testing.T) {
	a := manifestOf(t, Options{Name: "tiny", Metadata: testMeta, Tag: "bundle", MediaTypes: MediaTypesCNAI})
	if a.Format != FormatModelPack || a.Manifest.ArtifactType != MediaTypeModelManifestLegacy || a.Manifest.Config.MediaType != MediaTypeModelConfigLegacy {
		t.Fatalf("cnai: %s %s %s", a.Format, a.Manifest.ArtifactType, a.Manifest.Config.MediaType)
	}
	for _, f := range a.Files {
		if !strings.HasPrefix(f.Layer.MediaType, "application/vnd.cnai.model.") || f.Path == "" ||
			f.Layer.Annotations[specv1.AnnotationFilepathLegacy] != f.Path || f.Layer.Annotations[specv1.AnnotationFilepath] != "" {
			t.Errorf("cnai layer %s: %s %v", f.Path, f.Layer.MediaType, f.Layer.Annotations)
		}
	}
}

func TestVariantOptionErrors(t *testing.T) {
	for _, opts := range []Options{{WeightCodec: "lz4"}, {TextCodec: "float"}, {MediaTypes: "oci"}} {
		if _, err := Build(context.Background(), nil, nil, opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
}

// FuzzDescribeKitOps feeds untrusted Kitfile configs to the layer naming.
func FuzzDescribeKitOps(f *testing.F) {
	f.Add([]byte(`{"model":{"path":"m.safetensors","digest":"sha256:00","parts":[{"path":"p.json"}]},"docs":[{"path":"README.md"}]}`))
	f.Add([]byte(`{"model":null,"code":[{}]}`))
	f.Fuzz(func(t *testing.T, cfg []byte) {
		m := ocispec.Manifest{Config: ocispec.Descriptor{MediaType: "application/vnd.kitops.modelkit.config.v1+json"},
			Layers: []ocispec.Descriptor{{MediaType: "application/vnd.kitops.modelkit.model.v1.tar"},
				{MediaType: "application/vnd.kitops.modelkit.modelpart.v1.tar"}, {MediaType: "application/vnd.kitops.modelkit.docs.v1.tar"},
				{MediaType: "application/vnd.kitops.modelkit.modelpart.v1.tar"}}}
		a := Describe(m, cfg)
		if a.Format != FormatKitOps || len(a.Files) != len(m.Layers) {
			t.Fatalf("%s: %d files", a.Format, len(a.Files))
		}
	})
}
