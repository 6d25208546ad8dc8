package modelpack

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
)

// writeModel writes a tiny model folder and returns its files.
func writeModel(t *testing.T, dir string, weights string) []File {
	t.Helper()
	contents := map[string]string{
		"consolidated.safetensors": weights,
		"params.json":              `{"dim": 8}`,
		"tekken.json":              `{"vocab": []}`,
		"README.md":                "# tiny\n",
		"sub/extra.safetensors":    weights + "2",
	}
	var files []File
	for p, c := range contents {
		src := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(src, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Path: p, Src: src, Mode: 0o644, Size: int64(len(c))})
	}
	return files
}

var testMeta = &specv1.Metadata{Kind: "merge", Architecture: "mistral", DType: "bf16", License: "Apache-2.0",
	Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-7b", Digest: "sha256:" + strings.Repeat("a", 64), License: "Apache-2.0"}}}

func build(t *testing.T, opts Options) (string, ocispec.Descriptor) {
	t.Helper()
	dir := t.TempDir()
	files := writeModel(t, filepath.Join(dir, "model"), "weights-bytes")
	l, err := CreateLayout(filepath.Join(dir, "layout"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Build(context.Background(), l, files, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Attach(l, d, specv1.ArtifactTypeLicenseReport, []Blob{{MediaType: "application/json", Title: "license-report.json", Data: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return l.Dir(), d
}

func TestBuildDeterministic(t *testing.T) {
	for _, codec := range []string{CodecNone, CodecTar, CodecZstd, CodecFloat} {
		opts := Options{Name: "tiny", Metadata: testMeta, Tag: "bundle", WeightCodec: codec, TextCodec: CodecZstd}
		_, a := build(t, opts)
		_, b := build(t, opts)
		if a.Digest != b.Digest {
			t.Errorf("%s: digests differ across folders: %s vs %s", codec, a.Digest, b.Digest)
		}
	}
}

func TestBuildManifest(t *testing.T) {
	dir, d := build(t, Options{Name: "tiny", Metadata: testMeta, Tag: "bundle"})
	ctx := context.Background()
	store, err := oci.NewFromFS(ctx, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.Resolve(ctx, "bundle")
	if err != nil || got.Digest != d.Digest {
		t.Fatalf("resolve bundle: %v %v", got.Digest, err)
	}
	mb, err := content.FetchAll(ctx, store, d)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != specv1.MediaTypeModelManifest || m.Config.MediaType != specv1.MediaTypeModelConfig {
		t.Fatalf("artifactType %q config %q", m.ArtifactType, m.Config.MediaType)
	}
	wantTypes := map[string]string{
		"README.md": specv1.MediaTypeModelDocRaw, "consolidated.safetensors": specv1.MediaTypeModelWeightRaw,
		"params.json": specv1.MediaTypeModelConfigRaw, "sub/extra.safetensors": specv1.MediaTypeModelWeightRaw,
		"tekken.json": specv1.MediaTypeModelConfigRaw,
	}
	var paths []string
	for _, l := range m.Layers {
		p := l.Annotations[specv1.AnnotationFilepath]
		paths = append(paths, p)
		if l.Annotations[specv1.AnnotationTitle] != p || wantTypes[p] != l.MediaType {
			t.Errorf("layer %s: %s %v", p, l.MediaType, l.Annotations)
		}
	}
	if strings.Join(paths, ",") != "README.md,consolidated.safetensors,params.json,sub/extra.safetensors,tekken.json" {
		t.Errorf("layers not sorted: %v", paths)
	}
	if m.Annotations[specv1.AnnotationLicense] != "Apache-2.0" || !strings.Contains(m.Annotations[specv1.AnnotationLineage], "mistral-7b") {
		t.Errorf("manifest annotations %v", m.Annotations)
	}
	cb, _ := content.FetchAll(ctx, store, m.Config)
	var cfg map[string]map[string]any
	if err := json.Unmarshal(cb, &cfg); err != nil {
		t.Fatal(err)
	}
	for k := range cfg {
		if k != "descriptor" && k != "config" && k != "modelfs" {
			t.Errorf("config has field %q outside ModelPack", k)
		}
	}
	if _, ok := cfg["descriptor"]["createdAt"]; ok {
		t.Error("config has a wall-clock createdAt")
	}
	if ids := cfg["modelfs"]["diffIds"].([]any); len(ids) != len(m.Layers) || ids[1] != m.Layers[1].Digest.String() {
		t.Errorf("diffIds %v", ids)
	}
	refs, err := store.Predecessors(ctx, d)
	if err != nil || len(refs) != 1 {
		t.Fatalf("referrers %v %v", refs, err)
	}
	rb, _ := content.FetchAll(ctx, store, refs[0])
	if rm, _ := ParseManifest(rb); rm.ArtifactType != specv1.ArtifactTypeLicenseReport || rm.Subject.Digest != d.Digest {
		t.Fatalf("referrer %s", rb)
	}
}

func TestBuildHardlinksRawWeights(t *testing.T) {
	dir := t.TempDir()
	files := writeModel(t, filepath.Join(dir, "model"), "w")
	l, _ := CreateLayout(filepath.Join(dir, "layout"))
	d, err := Build(context.Background(), l, files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Close()
	b, _ := os.ReadFile(l.BlobPath(d.Digest))
	m, _ := ParseManifest(b)
	src, _ := os.Stat(filepath.Join(dir, "model", "consolidated.safetensors"))
	for _, ly := range m.Layers {
		if ly.Annotations[specv1.AnnotationFilepath] == "consolidated.safetensors" {
			blob, _ := os.Stat(l.BlobPath(ly.Digest))
			if !os.SameFile(src, blob) {
				t.Error("raw weight blob is a copy, want a hardlink")
			}
		}
	}
}

func TestBuildErrors(t *testing.T) {
	l, _ := CreateLayout(t.TempDir())
	for _, opts := range []Options{{WeightCodec: "lz4"}, {TextCodec: "float"},
		{WeightCodec: CodecFloat, Metadata: &specv1.Metadata{DType: "fp32"}}} {
		if _, err := Build(context.Background(), l, nil, opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
	_, err := Build(context.Background(), l, []File{{Path: "x.safetensors", Src: "/nonexistent/x"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "x.safetensors") {
		t.Errorf("missing file: %v", err)
	}
}
