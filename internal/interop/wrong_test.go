package interop

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/model-runner/pkg/distribution/distribution"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/dockermodel"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// TestDockerModelRunnerRefusesWrongConfig proves the judge of
// TestDockerModelRunnerPulls can fail: the same artifact with its config
// labelled as a ModelPack config is refused by Docker's client.
func TestDockerModelRunnerRefusesWrongConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "model")
	if err := synth.Model(ctx, src, synth.ModelOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "tiny-F32.gguf")
	if err := gguf.Export(ctx, src, model, gguf.Options{Type: gguf.FileF32, Name: "tiny", License: "Apache-2.0"}); err != nil {
		t.Fatal(err)
	}
	layout := filepath.Join(dir, "layout")
	l, err := modelpack.CreateLayout(layout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dockermodel.Build(ctx, l, dockermodel.Options{Model: dockermodel.File{Src: model, Name: "tiny-F32.gguf"}, Tag: "bundle"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	relabelConfig(t, layout, "application/vnd.cncf.model.config.v1+json")
	reg := testenv.NewRegistry(t)
	ref := reg.Host + "/ckpt/wrong:v1"
	dst, _ := remote.ParseRef(ref)
	if _, err := remote.Push(ctx, layout, "bundle", dst, remote.PushOptions{Options: remote.Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	client, err := distribution.NewClient(distribution.WithStoreRootPath(filepath.Join(dir, "dmr-store")))
	if err != nil {
		t.Fatal(err)
	}
	err = client.PullModel(ctx, ref, io.Discard)
	if !errors.Is(err, distribution.ErrUnsupportedMediaType) {
		t.Fatalf("Docker Model Runner pulled an artifact with a ModelPack config: %v", err)
	}
}

// relabelConfig gives the config of the layout's one manifest the media
// type mt, rewriting the manifest and index.json to match.
func relabelConfig(t *testing.T, layout, mt string) {
	t.Helper()
	var idx ocispec.Index
	readJSON(t, filepath.Join(layout, "index.json"), &idx)
	var m ocispec.Manifest
	readJSON(t, blobPath(layout, idx.Manifests[0].Digest), &m)
	m.Config.MediaType = mt
	b, _ := json.Marshal(m)
	d := digest.FromBytes(b)
	if err := os.WriteFile(blobPath(layout, d), b, 0o644); err != nil {
		t.Fatal(err)
	}
	idx.Manifests[0].Digest, idx.Manifests[0].Size = d, int64(len(b))
	ib, _ := json.Marshal(idx)
	if err := os.WriteFile(filepath.Join(layout, "index.json"), ib, 0o644); err != nil {
		t.Fatal(err)
	}
}

func blobPath(layout string, d digest.Digest) string {
	return filepath.Join(layout, "blobs", d.Algorithm().String(), d.Encoded())
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
