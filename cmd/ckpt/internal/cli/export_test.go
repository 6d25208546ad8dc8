package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// exportStore is a store holding one artifact named as step model.m's,
// whose weights blob is an hour old and verified (stamped); it returns the
// store folder and that blob's path.
func exportStore(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "store")
	st, err := store.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	weights := strings.Repeat("w", 4096)
	os.WriteFile(filepath.Join(src, "params.json"), []byte(`{"dim": 8}`), 0o644)
	os.WriteFile(filepath.Join(src, "consolidated.safetensors"), []byte(weights), 0o644)
	desc, err := st.PutDir(ctx, src, specv1.Metadata{Kind: "model", ID: "m"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Tag(ctx, desc, state.StepTag("model.m")); err != nil {
		t.Fatal(err)
	}
	blob, _ := st.BlobPath(digest.FromString(weights))
	old := time.Now().Add(-time.Hour)
	os.Chtimes(blob, old, old)
	if err := st.Verify(ctx, ocispec.Descriptor{Digest: digest.FromString(weights), Size: int64(len(weights))}); err != nil {
		t.Fatal(err)
	}
	return root, blob
}

// TestExportVerify: export trusts a blob unchanged since it was verified
// (same inode, size, mtime), so a rewrite that keeps all three goes
// unseen by a plain export; --verify hashes every file and refuses it,
// naming the file and digest, and writes nothing.
func TestExportVerify(t *testing.T) {
	root, blob := exportStore(t)
	fi, _ := os.Stat(blob)
	os.Chmod(blob, 0o644)
	f, err := os.OpenFile(blob, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("X"), 10)
	f.Close()
	os.Chtimes(blob, fi.ModTime(), fi.ModTime())

	if code, out, errOut := ckptRun(t, "export", "--store", root, "model.m", filepath.Join(t.TempDir(), "plain")); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	dst := filepath.Join(t.TempDir(), "verified")
	code, _, errOut := ckptRun(t, "export", "--store", root, "--verify", "model.m", dst)
	d := digest.FromString(strings.Repeat("w", 4096))
	if code != 1 || !strings.Contains(errOut, "consolidated.safetensors") || !strings.Contains(errOut, d.String()) ||
		!strings.Contains(errOut, "does not match its digest") {
		t.Fatalf("export --verify of a corrupted blob: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("export --verify wrote %s (%v)", dst, err)
	}
}
