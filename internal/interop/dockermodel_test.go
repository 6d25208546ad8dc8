package interop

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/model-runner/pkg/distribution/distribution"
	v1 "github.com/docker/model-runner/pkg/go-containerregistry/pkg/v1"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/dockermodel"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// TestDockerModelRunnerPulls: Docker Model Runner's own distribution
// client (v1.0.10) pulls a ckpt docker-model artifact from a registry into
// its store and reports the GGUF, the license and the chat template.
func TestDockerModelRunnerPulls(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	license := filepath.Join(dir, "LICENSE")
	if err := os.WriteFile(license, []byte("Apache License 2.0 text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, model, layout := tinyDockerModel(t, dir, gguf.FileQ8_0, dockermodel.File{Src: license, Name: "LICENSE"})
	reg := testenv.NewRegistry(t)
	ref := reg.Host + "/ckpt/tiny:v1"
	pushLayout(t, layout, ref)

	client, err := distribution.NewClient(distribution.WithStoreRootPath(filepath.Join(dir, "dmr-store")))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.PullModel(ctx, ref, io.Discard); err != nil {
		t.Fatalf("Docker Model Runner pull: %v", err)
	}
	m, err := client.GetModel(ref)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := m.GGUFPaths()
	if err != nil || len(paths) != 1 {
		t.Fatalf("GGUF paths %v %v", paths, err)
	}
	if !sameFile(t, paths[0], model) {
		t.Errorf("the GGUF in Docker's store differs from ckpt's")
	}
	cfg, err := m.Config()
	if err != nil || cfg.Format != "gguf" || cfg.Quantization != "Q8_0" || cfg.Architecture != "llama" {
		t.Errorf("config %+v %v", cfg, err)
	}
	tp, err := m.ChatTemplatePath()
	if err != nil {
		t.Fatal(err)
	}
	f, _ := gguf.ReadFile(model)
	want, _ := f.Get("tokenizer.chat_template")
	if got, _ := os.ReadFile(tp); string(got) != want || len(got) == 0 {
		t.Errorf("chat template %q, want the GGUF's", got)
	}
	if got := licenseText(t, m); !strings.Contains(got, "Apache License 2.0") {
		t.Errorf("license %q", got)
	}
	testAdapterPull(t, client, reg.Host, src, model, dir)
}

// tinyDockerModel synthesizes a tiny model in dir, exports it as a GGUF of
// type ft and writes a Docker model layout of it with the licenses; it
// returns the model folder, the GGUF and the layout.
func tinyDockerModel(t *testing.T, dir string, ft gguf.FileType, licenses ...dockermodel.File) (src, model, layout string) {
	t.Helper()
	ctx := context.Background()
	src = filepath.Join(dir, "model")
	if err := synth.Model(ctx, src, synth.ModelOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	name := "tiny-" + strings.ToUpper(string(ft)) + ".gguf"
	model = filepath.Join(dir, name)
	if err := gguf.Export(ctx, src, model, gguf.Options{Type: ft, Name: "tiny", License: "Apache-2.0"}); err != nil {
		t.Fatal(err)
	}
	layout = filepath.Join(dir, "layout")
	l, err := modelpack.CreateLayout(layout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dockermodel.Build(ctx, l, dockermodel.Options{Model: dockermodel.File{Src: model, Name: name}, Licenses: licenses, Tag: "bundle"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return src, model, layout
}

// pushLayout pushes the layout's "bundle" manifest to ref over plain HTTP.
func pushLayout(t *testing.T, layout, ref string) {
	t.Helper()
	dst, err := remote.ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Push(context.Background(), layout, "bundle", dst, remote.PushOptions{Options: remote.Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
}

// testAdapterPull: an artifact with a LoRA layer on top of the base GGUF
// pulls too; the client reports the base GGUF as the model (v1.0.10 does
// not know the .lora media type and keeps the layer in its store).
func testAdapterPull(t *testing.T, client *distribution.Client, host, src, model, dir string) {
	ctx := context.Background()
	ad := filepath.Join(dir, "adapter")
	if err := synth.Adapter(ctx, ad, synth.AdapterOptions{Base: src, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	lora := filepath.Join(dir, "tiny-lora-F32.gguf")
	if err := gguf.ExportAdapter(ctx, ad, src, lora, gguf.AdapterOptions{}); err != nil {
		t.Fatal(err)
	}
	layout := filepath.Join(dir, "lora-layout")
	l, err := modelpack.CreateLayout(layout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dockermodel.Build(ctx, l, dockermodel.Options{Model: dockermodel.File{Src: model, Name: "tiny-Q8_0.gguf"},
		Adapter: dockermodel.File{Src: lora, Name: "tiny-lora-F32.gguf"}, Tag: "bundle"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ref := host + "/ckpt/tiny-lora:v1"
	dst, _ := remote.ParseRef(ref)
	if _, err := remote.Push(ctx, layout, "bundle", dst, remote.PushOptions{Options: remote.Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	if err := client.PullModel(ctx, ref, io.Discard); err != nil {
		t.Fatalf("Docker Model Runner pull of the adapter artifact: %v", err)
	}
	m, err := client.GetModel(ref)
	if err != nil {
		t.Fatal(err)
	}
	if paths, err := m.GGUFPaths(); err != nil || len(paths) != 1 || !sameFile(t, paths[0], model) {
		t.Errorf("GGUF paths of the adapter artifact: %v %v", paths, err)
	}
}

// licenseText reads the license layers of a model in Docker's store.
func licenseText(t *testing.T, m any) string {
	t.Helper()
	img, ok := m.(interface{ Layers() ([]v1.Layer, error) })
	if !ok {
		t.Fatalf("%T has no layers", m)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, l := range ls {
		if mt, _ := l.MediaType(); string(mt) != dockermodel.MediaTypeLicense {
			continue
		}
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		text.Write(b)
	}
	return text.String()
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}
