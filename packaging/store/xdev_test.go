package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// otherFS returns a temporary folder on another file system than the
// store's (tmpfs /dev/shm), or skips.
func otherFS(t *testing.T, than string) string {
	t.Helper()
	var a, b syscall.Stat_t
	if syscall.Stat(than, &a) != nil || syscall.Stat("/dev/shm", &b) != nil || a.Dev == b.Dev {
		t.Skip("no second file system (/dev/shm) to test with")
	}
	dir, err := os.MkdirTemp("/dev/shm", "ckpt-store-test-")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestAcrossFileSystems(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	other := otherFS(t, s.Root())
	out := filepath.Join(other, "out")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "w.bin"), []byte("weights"), 0o644)
	desc, err := s.PutDir(ctx, out, specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatalf("PutDir from another file system: %v", err)
	}
	in := filepath.Join(other, "in")
	if err := s.Materialize(ctx, desc, in); err != nil {
		t.Fatalf("Materialize onto another file system: %v", err)
	}
	fi, err := os.Stat(filepath.Join(in, "w.bin"))
	if err != nil || fi.Mode().Perm() != 0o444 {
		t.Fatalf("copied file: %v %v, want read-only", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(in, "w.bin")); string(b) != "weights" {
		t.Errorf("content %q", b)
	}
	assertBlobsValid(t, s)
	assertNoIngest(t, s)
}
