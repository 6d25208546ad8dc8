package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// largestBlob returns the path of the biggest blob file of dir's store
// (the merged weights; the base's are the user's files, referred to).
func largestBlob(t *testing.T, dir string) string {
	t.Helper()
	blobs, _ := filepath.Glob(filepath.Join(dir, ".ckpt", "store", "blobs", "sha256", "*"))
	var best string
	var size int64
	for _, b := range blobs {
		if fi, err := os.Lstat(b); err == nil && fi.Mode().IsRegular() && fi.Size() > size {
			best, size = b, fi.Size()
		}
	}
	if best == "" {
		t.Fatal("empty store")
	}
	return best
}

func flipBlobByte(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, b, 0o444); err != nil {
		t.Fatal(err)
	}
}

// A corrupt store blob is found by store verify, rebuilt by the next build
// (cached or after gc), and dropped by store verify --repair (issue 16,
// failure 2).
func TestCorruptStoreBlobIsRepaired(t *testing.T) {
	dir := quickstartProject(t)
	run := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := ckptProc(t, nil, args...)
		if code != want {
			t.Fatalf("ckpt %v: exit %d, want %d\n%s\n%s", args, code, want, out, errOut)
		}
		return out + errOut
	}
	run(0, "build", dir)
	weights := largestBlob(t, dir)
	flipBlobByte(t, weights)
	out := run(1, "store", "verify", "--dir", dir)
	if !strings.Contains(out, "corrupt sha256:"+filepath.Base(weights)) || !strings.Contains(out, "step-") {
		t.Fatalf("store verify does not name the corrupt blob and its names:\n%s", out)
	}
	run(0, "build", dir) // the damaged cache entry is a miss; the rebuild replaces the blob
	run(0, "store", "verify", "--dir", dir)

	flipBlobByte(t, weights)
	run(0, "gc", "--dir", dir, "--keep-builds", "0")
	run(0, "build", dir)
	run(0, "store", "verify", "--dir", dir)

	flipBlobByte(t, weights)
	if out := run(0, "store", "verify", "--repair", "--dir", dir); !strings.Contains(out, "removed 1 corrupt blobs") {
		t.Fatalf("store verify --repair:\n%s", out)
	}
	if out := run(1, "store", "verify", "--dir", dir); !strings.Contains(out, "missing sha256:"+filepath.Base(weights)) {
		t.Fatalf("after --repair:\n%s", out)
	}
	run(0, "build", dir)
	run(0, "store", "verify", "--dir", dir)
}
