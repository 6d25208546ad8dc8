package remote

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// foreignLayout writes a manifest as another tool would: the given
// artifactType (may be empty), config and layers (title/path annotations
// given per layer).
func foreignLayout(t *testing.T, artifactType, configType string, config []byte, layers []evilLayer, annKey string) string {
	t.Helper()
	l, err := modelpack.CreateLayout(filepath.Join(t.TempDir(), "layout"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := l.PutBytes(configType, config)
	var ds []ocispec.Descriptor
	for _, e := range layers {
		d, _ := l.PutBytes(e.mediaType, e.data)
		if e.path != "" {
			d.Annotations = map[string]string{annKey: e.path}
		}
		ds = append(ds, d)
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType, Config: cfg, Layers: ds}
	if _, err := l.AddManifest(m, "v1"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	return l.Dir()
}

func tgz(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755})
	for name, c := range files {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(c))})
		tw.Write([]byte(c))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestReadForeignFormats(t *testing.T) {
	cases := []struct {
		name, artifactType, configType, config, annKey, format, license string
		layers                                                          []evilLayer
		want                                                            map[string]string
	}{
		{name: "kitops modelkit", configType: "application/vnd.kitops.modelkit.config.v1+json",
			config: `{"manifestVersion":"1.0.0","package":{"name":"tiny","license":"MIT"}}`, annKey: "org.opencontainers.image.title",
			format: modelpack.FormatKitOps, license: "MIT",
			layers: []evilLayer{{"application/vnd.kitops.modelkit.model.v1.tar+gzip", "", tgz(t, map[string]string{"model/w.safetensors": "W"})},
				{"application/vnd.kitops.modelkit.docs.v1.tar+gzip", "", tgz(t, map[string]string{"README.md": "R"})}},
			want: map[string]string{"model/w.safetensors": "W", "README.md": "R"}},
		{name: "docker model runner", configType: "application/vnd.docker.ai.model.config.v0.2+json",
			config: `{"config":{"format":"gguf"}}`, annKey: "org.cncf.model.filepath", format: modelpack.FormatDocker,
			layers: []evilLayer{{"application/vnd.docker.ai.gguf.v3", "model.gguf", []byte("GGUF")},
				{"application/vnd.docker.ai.license", "LICENSE", []byte("L")}},
			want: map[string]string{"model.gguf": "GGUF", "LICENSE": "L"}},
		{name: "oras push default media type", configType: "application/vnd.oci.empty.v1+json", config: `{}`,
			artifactType: "application/vnd.unknown.artifact.v1", annKey: "org.opencontainers.image.title", format: modelpack.FormatOCI,
			layers: []evilLayer{{"application/vnd.oci.image.layer.v1.tar", "model.safetensors", []byte("not a tar")}},
			want:   map[string]string{"model.safetensors": "not a tar"}},
		{name: "legacy cnai modelpack", artifactType: "application/vnd.cnai.model.manifest.v1+json",
			configType: "application/vnd.cnai.model.config.v1+json",
			config:     `{"descriptor":{"licenses":["Apache-2.0"]},"config":{},"modelfs":{"type":"layers","diffIds":[]}}`,
			annKey:     "org.cnai.model.filepath", format: modelpack.FormatModelPack, license: "Apache-2.0",
			layers: []evilLayer{{"application/vnd.cnai.model.weight.v1.raw", "w.safetensors", []byte("W")}},
			want:   map[string]string{"w.safetensors": "W"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lay := foreignLayout(t, c.artifactType, c.configType, []byte(c.config), c.layers, c.annKey)
			ref := Ref{Dir: lay, Reference: "v1"}
			rep, err := Inspect(context.Background(), ref, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Format != c.format || rep.License != c.license || len(rep.Files) != len(c.layers) {
				t.Errorf("inspect: format %q license %q files %+v", rep.Format, rep.License, rep.Files)
			}
			out := t.TempDir()
			if _, err := Pull(context.Background(), ref, out, PullOptions{}); err != nil {
				t.Fatal(err)
			}
			for p, want := range c.want {
				if b, err := os.ReadFile(filepath.Join(out, p)); err != nil || string(b) != want {
					t.Errorf("%s: %q %v", p, b, err)
				}
			}
		})
	}
}
