package store_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// stampFixture is a store holding sample, whose weights blob has an mtime
// an hour old and a fresh stamp from a full Verify.
type stampFixture struct {
	s     *store.Store
	desc  ocispec.Descriptor // the artifact
	blob  ocispec.Descriptor // consolidated.safetensors
	path  string             // its blob file
	mtime time.Time
}

func newStampFixture(t *testing.T, mtime time.Time) *stampFixture {
	t.Helper()
	ctx := context.Background()
	s := openStore(t)
	desc, err := s.PutDir(ctx, writeFiles(t, sample), specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := sample["consolidated.safetensors"]
	f := &stampFixture{s: s, desc: desc, mtime: mtime,
		blob: ocispec.Descriptor{Digest: digest.FromString(w), Size: int64(len(w))}}
	f.path, _ = s.BlobPath(f.blob.Digest)
	if err := os.Chtimes(f.path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx, f.blob); err != nil {
		t.Fatal(err)
	}
	return f
}

// rewrite overwrites the blob in place (same inode, same size) and sets
// its mtime.
func (f *stampFixture) rewrite(t *testing.T, mtime time.Time) {
	t.Helper()
	os.Chmod(f.path, 0o644)
	w, err := os.OpenFile(f.path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt([]byte("X"), 100); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := os.Chtimes(f.path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func (f *stampFixture) materialize(t *testing.T) error {
	t.Helper()
	return f.s.Materialize(context.Background(), f.desc, filepath.Join(t.TempDir(), "m"))
}

func (f *stampFixture) wantCorrupt(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), f.blob.Digest.String()) {
		t.Fatalf("%s: err = %v, want ErrCorrupt naming %s", what, err, f.blob.Digest)
	}
}

// A stamped blob whose file is unchanged is not read again by Materialize:
// a rewrite that restores size, inode and mtime goes unseen there (the
// price of not hashing), while Fetch and Verify, which always hash, report
// it; after a failed Verify, Materialize hashes again.
func TestMaterializeTrustsUnchangedStamp(t *testing.T) {
	ctx := context.Background()
	f := newStampFixture(t, time.Now().Add(-time.Hour))
	f.rewrite(t, f.mtime)
	if err := f.materialize(t); err != nil {
		t.Fatalf("materialize of a stamped, unchanged-looking blob: %v", err)
	}
	rc, err := f.s.Fetch(ctx, f.blob)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	f.wantCorrupt(t, "fetch", err)
	f.wantCorrupt(t, "verify", f.s.Verify(ctx, f.blob))
	f.wantCorrupt(t, "materialize after a failed verify", f.materialize(t))
}

// A stamped blob rewritten in place (new mtime) or replaced (new inode)
// is hashed, and its corruption reported.
func TestMaterializeRehashesChangedBlob(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	t.Run("rewritten", func(t *testing.T) {
		f := newStampFixture(t, old)
		f.rewrite(t, old.Add(time.Second))
		f.wantCorrupt(t, "materialize", f.materialize(t))
	})
	t.Run("replaced", func(t *testing.T) {
		f := newStampFixture(t, old)
		tmp := f.path + ".new"
		if err := os.WriteFile(tmp, []byte(strings.Repeat("v", int(f.blob.Size))), 0o444); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(tmp, old, old)
		if err := os.Rename(tmp, f.path); err != nil {
			t.Fatal(err)
		}
		f.wantCorrupt(t, "materialize", f.materialize(t))
	})
	t.Run("garbled stamp", func(t *testing.T) {
		f := newStampFixture(t, old)
		f.rewrite(t, old)
		sp := filepath.Join(f.s.Root(), "verified", "sha256", f.blob.Digest.Encoded())
		if err := os.WriteFile(sp, []byte("v1 garbage\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		f.wantCorrupt(t, "materialize", f.materialize(t))
	})
}

// A stamp taken when the blob's mtime was not older than the stamp itself
// is racy (a write in the same clock tick keeps the mtime): it is ignored.
func TestRacyStampIsIgnored(t *testing.T) {
	future := time.Now().Add(time.Hour)
	f := newStampFixture(t, future)
	f.rewrite(t, future)
	f.wantCorrupt(t, "materialize", f.materialize(t))
}

// Blobs the store wrote itself are stamped: a rewrite right after PutDir
// (likely in the same clock tick as the stamp) is still caught.
func TestFreshBlobRewriteDetected(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	desc, err := s.PutDir(ctx, writeFiles(t, sample), specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := sample["consolidated.safetensors"]
	p, _ := s.BlobPath(digest.FromString(w))
	if _, err := os.Stat(filepath.Join(s.Root(), "verified", "sha256", digest.FromString(w).Encoded())); err != nil {
		t.Fatalf("a blob the store wrote has no stamp: %v", err)
	}
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte(strings.Repeat("v", len(w))), 0o644); err != nil {
		t.Fatal(err)
	}
	err = s.Materialize(ctx, desc, filepath.Join(t.TempDir(), "m"))
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
}
