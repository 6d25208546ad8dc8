package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// model is a tiny synthetic model: path → content.
type model map[string][]byte

func testModel(weightSize int) model {
	w := make([]byte, weightSize)
	for i := range w {
		w[i] = byte(i*7 + i/251)
	}
	return model{
		"consolidated.safetensors": w,
		"params.json":              []byte(`{"dim": 8, "n_layers": 1}`),
		"tekken.json":              []byte(`{"config": {}, "vocab": []}`),
		"README.md":                []byte("# tiny model\n"),
		"LICENSE":                  []byte("Apache License 2.0\n"),
	}
}

func writeFiles(t *testing.T, dir string, m model) []modelpack.File {
	t.Helper()
	var files []modelpack.File
	for p, c := range m {
		files = append(files, writeOne(t, dir, p, c))
	}
	return files
}

func writeOne(t testing.TB, dir, p string, c []byte) modelpack.File {
	t.Helper()
	src := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, c, 0o644); err != nil {
		t.Fatal(err)
	}
	return modelpack.File{Path: p, Src: src, Mode: 0o644, Size: int64(len(c))}
}

// bundle builds an OCI layout holding m as a ModelPack manifest tagged
// "bundle" with a license report and a provenance referrer.
func bundle(t *testing.T, m model, opts modelpack.Options) (string, ocispec.Descriptor) {
	t.Helper()
	dir := t.TempDir()
	files := writeFiles(t, filepath.Join(dir, "model"), m)
	l, err := modelpack.CreateLayout(filepath.Join(dir, "layout"))
	if err != nil {
		t.Fatal(err)
	}
	if opts.Tag == "" {
		opts.Tag = "bundle"
	}
	if opts.Metadata == nil {
		opts.Metadata = &specv1.Metadata{Kind: "model", License: "Apache-2.0", DType: "bf16"}
	}
	d, err := modelpack.Build(context.Background(), l, files, opts)
	if err != nil {
		t.Fatal(err)
	}
	prov, _ := modelpack.NewProvenance("tiny", d, "bundle.tiny", nil, nil).JSON()
	report, _ := lic.NewReport(opts.Metadata, "").JSON() // no subject: unchanged when the model changes
	for _, r := range []struct {
		at   string
		blob modelpack.Blob
	}{
		{specv1.ArtifactTypeLicenseReport, modelpack.Blob{MediaType: "application/json", Title: "license-report.json", Data: report}},
		{specv1.ArtifactTypeProvenance, modelpack.Blob{MediaType: modelpack.MediaTypeInToto, Title: "provenance.json", Data: prov}},
	} {
		if _, err := modelpack.Attach(l, d, r.at, []modelpack.Blob{r.blob}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return l.Dir(), d
}

// checkFiles asserts dir holds exactly the files of m (ignoring extra names).
func checkFiles(t *testing.T, dir string, m model) {
	t.Helper()
	for p, want := range m {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes differ from the %d pushed", p, len(got), len(want))
		}
	}
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func testDesc(size int64) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: "application/octet-stream", Size: size}
}
