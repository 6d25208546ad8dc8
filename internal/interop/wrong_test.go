package interop

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/docker/model-runner/pkg/distribution/distribution"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
)

// TestDockerModelRunnerRefusesWrongConfig proves the judge of
// TestDockerModelRunnerPulls can fail: the same artifact with its config
// labelled as a ModelPack config is refused by Docker's client.
func TestDockerModelRunnerRefusesWrongConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, _, layout := tinyDockerModel(t, dir, gguf.FileF32)
	testenv.RewriteManifest(t, layout, func(m *ocispec.Manifest) { m.Config.MediaType = "application/vnd.cncf.model.config.v1+json" })
	ref := testenv.NewRegistry(t).Host + "/ckpt/wrong:v1"
	pushLayout(t, layout, ref)
	client, err := distribution.NewClient(distribution.WithStoreRootPath(filepath.Join(dir, "dmr-store")))
	if err != nil {
		t.Fatal(err)
	}
	err = client.PullModel(ctx, ref, io.Discard)
	if !errors.Is(err, distribution.ErrUnsupportedMediaType) {
		t.Fatalf("Docker Model Runner pulled an artifact with a ModelPack config: %v", err)
	}
}
