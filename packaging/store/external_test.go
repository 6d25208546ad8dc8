package store_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// userFolder writes files under a new folder of the user's (under root,
// or a temporary folder when root is ""), dated an hour ago as files at
// rest are, and returns it.
func userFolder(t *testing.T, root string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if root != "" {
		dir = filepath.Join(root, "user")
	}
	old := time.Now().Add(-time.Hour)
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// referTo makes a plugin's output folder holding an absolute symbolic
// link to every file of user.
func referTo(t *testing.T, user string) string {
	t.Helper()
	out := t.TempDir()
	err := filepath.WalkDir(user, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(user, p)
		dst := filepath.Join(out, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.Symlink(p, dst)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fileState is what the store must never change about a user's file.
type fileState struct {
	mode        fs.FileMode
	nlink, ino  uint64
	mtime, size int64
}

func statesOf(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		out[p] = fileState{mode: fi.Mode(), nlink: uint64(st.Nlink), ino: st.Ino, mtime: fi.ModTime().UnixNano(), size: fi.Size()}
		return nil
	})
	return out
}

func assertUntouched(t *testing.T, what string, before map[string]fileState, dir string) {
	t.Helper()
	after := statesOf(t, dir)
	for p, b := range before {
		if a, ok := after[p]; !ok || a != b {
			t.Errorf("after %s, the user's file %s is %+v (present %v), was %+v", what, p, a, ok, b)
		}
	}
}

// diskUsage is the space the files under root take, links not followed.
func diskUsage(t *testing.T, root string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			if fi, err := os.Lstat(p); err == nil {
				n += fi.Sys().(*syscall.Stat_t).Blocks * 512
			}
		}
		return nil
	})
	return n
}

var weights = map[string]string{
	"config.json":       `{"dim": 8}`,
	"model.safetensors": strings.Repeat("w", 1<<20),
	"tokenizer/t.json":  "{}",
}

func TestReferredFilesStayTheUsers(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	user := userFolder(t, "", weights)
	before := statesOf(t, user)
	desc, err := s.PutDir(ctx, referTo(t, user), specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertUntouched(t, "PutDir", before, user)
	if du := diskUsage(t, s.Root()); du > 1<<20/10 {
		t.Errorf("the store takes %d bytes for a 1 MiB model it refers to", du)
	}
	copied, err := openStore(t).PutDir(ctx, writeFiles(t, weights), specv1.Metadata{Kind: "model"}, nil)
	if err != nil || copied.Digest != desc.Digest {
		t.Fatalf("referred artifact %s, copied one %s (%v): want one digest", desc.Digest, copied.Digest, err)
	}
	in := filepath.Join(t.TempDir(), "in")
	if err := s.Materialize(ctx, desc, in); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(in, "model.safetensors")); err != nil || target != filepath.Join(user, "model.safetensors") {
		t.Errorf("materialized weights: link to %q (%v), want a link to the user's file", target, err)
	}
	if err := s.CheckArtifact(ctx, desc); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.VerifyAll(ctx, store.VerifyOptions{Repair: true}); err != nil || len(rep.Problems) != 0 || rep.Blobs != 5 {
		t.Fatalf("verify --repair: %+v, %v", rep, err)
	}
	exported := filepath.Join(t.TempDir(), "exported")
	if _, err := s.Export(ctx, desc, exported, store.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(exported, "model.safetensors")); err != nil || !fi.Mode().IsRegular() || fi.Size() != 1<<20 {
		t.Errorf("exported weights: %v %v, want a file of the user's own", fi, err)
	}
	if _, err := s.Prune(ctx, func(string) bool { return false }, store.PruneOptions{}); err != nil {
		t.Fatal(err)
	}
	if left := blobFiles(t, s.Root()); len(left) != 0 {
		t.Errorf("prune left %v", left)
	}
	assertUntouched(t, "Materialize, CheckArtifact, VerifyAll --repair, Export and Prune", before, user)
	assertNoIngest(t, s)
}

// changedFixture is an artifact that refers to a user's files.
type changedFixture struct {
	s       *store.Store
	desc    ocispec.Descriptor
	weights string // the user's weights file
	layer   ocispec.Descriptor
}

func newChangedFixture(t *testing.T) *changedFixture {
	t.Helper()
	f := &changedFixture{s: openStore(t)}
	user := userFolder(t, "", weights)
	f.weights = filepath.Join(user, "model.safetensors")
	var err error
	if f.desc, err = f.s.PutDir(context.Background(), referTo(t, user), specv1.Metadata{Kind: "model"}, nil); err != nil {
		t.Fatal(err)
	}
	f.layer = layerNamed(t, f.s, f.desc, "model.safetensors")
	if err := f.s.CheckArtifact(context.Background(), f.desc); err != nil {
		t.Fatal(err)
	}
	return f
}

// flip changes one byte of the weights, keeping their size; keepMtime
// restores the mtime afterwards (touch -r).
func (f *changedFixture) flip(t *testing.T, keepMtime bool) {
	t.Helper()
	fi, err := os.Stat(f.weights)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(f.weights, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt([]byte("X"), 100); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if keepMtime {
		os.Chtimes(f.weights, fi.ModTime(), fi.ModTime())
	}
}

// wantChanged checks that err is an external blob's change, naming the
// user's file and the digest.
func (f *changedFixture) wantChanged(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrExternalChanged) || !errors.Is(err, store.ErrCorrupt) ||
		!strings.Contains(err.Error(), f.weights) || !strings.Contains(err.Error(), f.layer.Digest.String()) {
		t.Errorf("%s: err = %v, want ErrExternalChanged naming %s and %s", what, err, f.weights, f.layer.Digest)
	}
}

func TestReferredFileChanged(t *testing.T) {
	ctx := context.Background()
	f := newChangedFixture(t)
	f.flip(t, false)
	f.wantChanged(t, "CheckArtifact", f.s.CheckArtifact(ctx, f.desc))
	f.wantChanged(t, "Materialize", f.s.Materialize(ctx, f.desc, t.TempDir()))
	_, err := f.s.Export(ctx, f.desc, filepath.Join(t.TempDir(), "x"), store.ExportOptions{})
	f.wantChanged(t, "Export", err)
	rc, err := f.s.Fetch(ctx, f.layer)
	if err == nil {
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
	}
	f.wantChanged(t, "Fetch", err)
	before := statesOf(t, filepath.Dir(f.weights))
	rep, err := f.s.VerifyAll(ctx, store.VerifyOptions{Repair: true})
	if err != nil || len(rep.Problems) != 1 || rep.Problems[0].Digest != f.layer.Digest ||
		rep.Problems[0].Problem != "corrupt" || rep.Problems[0].Path != f.weights {
		t.Fatalf("verify: %+v, %v; want the weights' blob corrupt, with the user's path", rep, err)
	}
	assertUntouched(t, "store verify --repair", before, filepath.Dir(f.weights))
	if ok, _ := f.s.Exists(ctx, f.layer); ok {
		t.Error("repair kept the link to the changed file")
	}
}

func TestReferredFileGone(t *testing.T) {
	ctx := context.Background()
	f := newChangedFixture(t)
	os.Remove(f.weights)
	err := f.s.Materialize(ctx, f.desc, t.TempDir())
	f.wantChanged(t, "Materialize", err)
	if !strings.Contains(err.Error(), "gone") {
		t.Errorf("err = %v, want it to say the file is gone", err)
	}
	f.wantChanged(t, "CheckArtifact", f.s.CheckArtifact(ctx, f.desc))
	rep, err := f.s.VerifyAll(ctx, store.VerifyOptions{})
	if err != nil || len(rep.Problems) != 1 || rep.Problems[0].Problem != "corrupt" || rep.Problems[0].Path != f.weights {
		t.Fatalf("verify: %+v, %v; want the weights' blob corrupt, with the user's path", rep, err)
	}
}

// TestReferredFileRestoredMtime is the stamp's documented limit: the same
// size and a restored mtime (touch -r) pass the stamp checks; Fetch and
// VerifyAll, which always hash, still see the change.
func TestReferredFileRestoredMtime(t *testing.T) {
	ctx := context.Background()
	f := newChangedFixture(t)
	f.flip(t, true)
	if err := f.s.CheckArtifact(ctx, f.desc); err != nil {
		t.Errorf("CheckArtifact after a change with the mtime restored: %v (the stamp cannot see it)", err)
	}
	f.wantChanged(t, "Verify", f.s.Verify(ctx, f.layer))
}

func TestReferredFileTouched(t *testing.T) {
	ctx := context.Background()
	f := newChangedFixture(t)
	now := time.Now().Add(-time.Minute)
	os.Chtimes(f.weights, now, now)
	if err := f.s.CheckArtifact(ctx, f.desc); err != nil {
		t.Fatalf("a touched file with the same bytes: %v", err)
	}
}

func TestPutDirRefusesOtherLinks(t *testing.T) {
	ctx := context.Background()
	for name, mk := range map[string]func(out string) error{
		"relative": func(out string) error { return os.Symlink("a", filepath.Join(out, "link")) },
		"folder":   func(out string) error { return os.Symlink(t.TempDir(), filepath.Join(out, "link")) },
		"inside":   func(out string) error { return os.Symlink(filepath.Join(out, "a"), filepath.Join(out, "link")) },
		"dangling": func(out string) error { return os.Symlink(filepath.Join(out, "none"), filepath.Join(out, "link")) },
	} {
		out := writeFiles(t, map[string]string{"a": "x"})
		if err := mk(out); err != nil {
			t.Fatal(err)
		}
		_, err := openStore(t).PutDir(ctx, out, specv1.Metadata{Kind: "model"}, nil)
		if err == nil || !strings.Contains(err.Error(), "link") {
			t.Errorf("%s link: err = %v, want an error naming the link", name, err)
		}
	}
}

func TestReferAcrossFileSystems(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	user := userFolder(t, otherFS(t, s.Root()), weights)
	before := statesOf(t, user)
	desc, err := s.PutDir(ctx, referTo(t, user), specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if du := diskUsage(t, s.Root()); du > 1<<20/10 {
		t.Errorf("the store takes %d bytes for a 1 MiB model on another file system", du)
	}
	if err := s.Materialize(ctx, desc, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	assertUntouched(t, "PutDir and Materialize", before, user)
}

func TestPutDirKnownSparesHashing(t *testing.T) {
	ctx := context.Background()
	user := userFolder(t, "", weights)
	asked := map[string]bool{}
	known := func(p string, fi fs.FileInfo) (digest.Digest, bool) {
		asked[p] = true
		b, err := os.ReadFile(p)
		return digest.FromBytes(b), err == nil && fi.Size() == int64(len(b))
	}
	s := openStore(t)
	desc, err := s.PutDirKnown(ctx, referTo(t, user), specv1.Metadata{Kind: "model"}, nil, known)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 3 || !asked[filepath.Join(user, "model.safetensors")] {
		t.Errorf("known was asked for %v, want the 3 user's files", asked)
	}
	plain, err := openStore(t).PutDir(ctx, referTo(t, user), specv1.Metadata{Kind: "model"}, nil)
	if err != nil || plain.Digest != desc.Digest {
		t.Fatalf("with known %s, without %s (%v)", desc.Digest, plain.Digest, err)
	}
}

// TestReferReflinks: on a file system with reflinks (CKPT_REFLINK_DIR, a
// btrfs or XFS folder), a referred file's blob is a clone, the store's own
// file: the user's file is untouched, and changing it later leaves the
// blob intact.
func TestReferReflinks(t *testing.T) {
	dir := os.Getenv("CKPT_REFLINK_DIR")
	if dir == "" {
		t.Skip("CKPT_REFLINK_DIR (a folder on btrfs or XFS) not set")
	}
	root, err := os.MkdirTemp(dir, "refer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(root, "store"))
	if err != nil {
		t.Fatal(err)
	}
	user := userFolder(t, root, weights)
	before := statesOf(t, user)
	desc, err := s.PutDir(ctx, referTo(t, user), specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertUntouched(t, "PutDir", before, user)
	l := layerNamed(t, s, desc, "model.safetensors")
	blob, _ := s.BlobPath(l.Digest)
	if fi, err := os.Lstat(blob); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o444 {
		t.Fatalf("blob of a referred file on XFS/btrfs: %v %v, want a read-only clone", fi, err)
	}
	os.WriteFile(filepath.Join(user, "model.safetensors"), []byte("changed"), 0o644)
	if err := s.CheckArtifact(ctx, desc); err != nil {
		t.Errorf("the clone after the user's file changed: %v", err)
	}
	assertNoIngest(t, s)
}
