package ollama_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/content/oci"

	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/packaging/ollama"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// bundle builds an Ollama bundle of a tiny model into a layout folder.
func bundle(t *testing.T) (string, ollama.Options) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := synth.Model(ctx, filepath.Join(dir, "src"), synth.ModelOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	o := ollama.Options{Model: filepath.Join(dir, "tiny-Q8_0.gguf"), Template: "{{ .Prompt }}", Stop: []string{"[INST]"},
		Licenses: [][]byte{[]byte("license text\n")}, Tag: "bundle"}
	if err := gguf.Export(ctx, filepath.Join(dir, "src"), o.Model, gguf.Options{Type: gguf.FileQ8_0}); err != nil {
		t.Fatal(err)
	}
	l, err := modelpack.CreateLayout(filepath.Join(dir, "layout"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ollama.Build(ctx, l, o); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "layout"), o
}

func TestInstall(t *testing.T) {
	ctx := context.Background()
	layout, o := bundle(t)
	src, err := oci.New(layout)
	if err != nil {
		t.Fatal(err)
	}
	n := ollama.Name{Host: "registry.test:5000", Namespace: "ckpt", Model: "tiny", Tag: "v1"}
	models := t.TempDir()
	d, err := ollama.Install(ctx, src, "bundle", n, models)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(models, "manifests", "registry.test:5000", "ckpt", "tiny", "v1")); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(o.Model)
	got, err := os.ReadFile(ollama.BlobPath(models, modelDigest(t, layout, d.Digest.Encoded())))
	if err != nil || string(got) != string(want) {
		t.Errorf("model blob: %v", err)
	}
	if _, err := ollama.Install(ctx, src, "bundle", n, models); err != nil {
		t.Errorf("a second install: %v", err)
	}
}

// modelDigest is the model layer's digest of the manifest blob hex.
func modelDigest(t *testing.T, layout, hex string) digest.Digest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(layout, "blobs", "sha256", hex))
	var m ollama.Manifest
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("manifest %s: %v", hex, err)
	}
	l, ok := m.Layer(ollama.MediaTypeModel)
	if !ok {
		t.Fatal("no model layer")
	}
	return l.Digest
}

func TestInstallRefusesCorruptBlob(t *testing.T) {
	ctx := context.Background()
	layout, _ := bundle(t)
	src, _ := oci.New(layout)
	d, err := src.Resolve(ctx, "bundle")
	if err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(layout, "blobs", "sha256", modelDigest(t, layout, d.Digest.Encoded()).Encoded())
	b, _ := os.ReadFile(blob)
	b[len(b)-1] ^= 1
	if err := os.Remove(blob); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, b, 0o644); err != nil {
		t.Fatal(err)
	}
	models := t.TempDir()
	n := ollama.Name{Host: "h", Namespace: "ns", Model: "m", Tag: "v1"}
	if _, err := ollama.Install(ctx, src, "bundle", n, models); err == nil {
		t.Fatal("a corrupt model blob was installed")
	}
	if _, err := os.Stat(filepath.Join(models, "manifests")); err == nil {
		t.Error("a manifest was written for a failed install")
	}
}

func TestInstallRefusesOtherFormats(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, _ := modelpack.CreateLayout(dir)
	p := filepath.Join(t.TempDir(), "params.json")
	if err := os.WriteFile(p, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := modelpack.Build(ctx, l, []modelpack.File{{Path: "params.json", Src: p, Mode: 0o644, Size: 2}}, modelpack.Options{Name: "x", Tag: "bundle"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	src, _ := oci.New(dir)
	_, err := ollama.Install(ctx, src, "bundle", ollama.Name{Host: "h", Namespace: "ns", Model: "m", Tag: "v1"}, t.TempDir())
	if !errors.Is(err, ollama.ErrNotOllama) {
		t.Errorf("a ModelPack manifest: %v", err)
	}
}
