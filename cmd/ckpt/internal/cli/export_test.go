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
	"github.com/ckpt-dev/ckpt/pipeline/run"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// exportStore is a spec folder whose store holds one artifact that its
// ledger records as step model.m's, whose weights blob is an hour old and
// verified (stamped); it returns the spec folder and that blob's path.
func exportStore(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, state.For(dir).Store())
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
	e := &state.Entry{Spec: state.SpecRef{Dir: dir}, Status: run.StatusOK,
		Steps: []state.LedgerStep{{Address: "model.m", Artifact: desc.Digest.String(), Status: run.StatusOK}}}
	if _, err := state.AppendLedger(ctx, state.For(dir).Ledger(), e); err != nil {
		t.Fatal(err)
	}
	blob, _ := st.BlobPath(digest.FromString(weights))
	old := time.Now().Add(-time.Hour)
	os.Chtimes(blob, old, old)
	if err := st.Verify(ctx, ocispec.Descriptor{Digest: digest.FromString(weights), Size: int64(len(weights))}); err != nil {
		t.Fatal(err)
	}
	return dir, blob
}

// TestExportVerify: export trusts a blob unchanged since it was verified
// (same inode, size, mtime), so a rewrite that keeps all three goes
// unseen by a plain export; --verify hashes every file and refuses it,
// naming the file and digest, and writes nothing.
func TestExportVerify(t *testing.T) {
	dir, blob := exportStore(t)
	fi, _ := os.Stat(blob)
	os.Chmod(blob, 0o644)
	f, err := os.OpenFile(blob, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("X"), 10)
	f.Close()
	os.Chtimes(blob, fi.ModTime(), fi.ModTime())

	if code, out, errOut := ckptRun(t, "export", "--dir", dir, "model.m", filepath.Join(t.TempDir(), "plain")); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	dst := filepath.Join(t.TempDir(), "verified")
	code, _, errOut := ckptRun(t, "export", "--dir", dir, "--verify", "model.m", dst)
	d := digest.FromString(strings.Repeat("w", 4096))
	if code != 1 || !strings.Contains(errOut, "consolidated.safetensors") || !strings.Contains(errOut, d.String()) ||
		!strings.Contains(errOut, "does not match its digest") {
		t.Fatalf("export --verify of a corrupted blob: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("export --verify wrote %s (%v)", dst, err)
	}
}

// TestExportedFilesAreCopies: an exported file is the user's own: writing
// to it (as root, or after chmod, file modes do not stop it) leaves the
// store's blob as it was.
func TestExportedFilesAreCopies(t *testing.T) {
	dir, _ := exportStore(t)
	dst := filepath.Join(t.TempDir(), "out")
	if code, out, errOut := ckptRun(t, "export", "--dir", dir, "model.m", dst); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	exported := filepath.Join(dst, "params.json")
	if err := os.Chmod(exported, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(exported, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n")
	f.Close()

	st, err := store.Open(context.Background(), state.For(dir).Store())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	params := `{"dim": 8}`
	if err := st.Verify(context.Background(), ocispec.Descriptor{Digest: digest.FromString(params), Size: int64(len(params))}); err != nil {
		t.Errorf("the store's blob changed with the exported file: %v", err)
	}
	again := filepath.Join(t.TempDir(), "again")
	if code, _, errOut := ckptRun(t, "export", "--dir", dir, "model.m", again); code != 0 {
		t.Fatalf("second export: exit %d\n%s", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(again, "params.json")); string(b) != params {
		t.Errorf("second export gives %q, want %q", b, params)
	}
}

// TestExportLink: --link hard-links the store's blobs (same inode), and its
// help says what that risks.
func TestExportLink(t *testing.T) {
	dir, blob := exportStore(t)
	dst := filepath.Join(t.TempDir(), "out")
	if code, out, errOut := ckptRun(t, "export", "--dir", dir, "--link", "model.m", dst); code != 0 {
		t.Fatalf("export --link: exit %d\n%s%s", code, out, errOut)
	}
	a, errA := os.Stat(filepath.Join(dst, "consolidated.safetensors"))
	b, errB := os.Stat(blob)
	if errA != nil || errB != nil || !os.SameFile(a, b) {
		t.Errorf("export --link: not a hard link to %s (%v, %v)", blob, errA, errB)
	}
	_, help, _ := ckptRun(t, "export", "--help")
	if !strings.Contains(help, "--link") || !strings.Contains(help, "changes the store's blob") {
		t.Errorf("export --help does not say what --link risks:\n%s", help)
	}
}

// TestExportFromAnotherStore: the ledger names an artifact that the given
// --store does not hold; export says so, naming digest and store.
func TestExportFromAnotherStore(t *testing.T) {
	dir, _ := exportStore(t)
	other := filepath.Join(t.TempDir(), "other")
	code, _, errOut := ckptRun(t, "export", "--dir", dir, "--store", other, "model.m", filepath.Join(t.TempDir(), "out"))
	if code != 1 || !strings.Contains(errOut, "is not in "+other) || !strings.Contains(errOut, "sha256:") {
		t.Fatalf("export from a store without the artifact: exit %d\n%s", code, errOut)
	}
}
