package store_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// exportFixture is a store at root holding one artifact of two files, one
// of them executable.
func exportFixture(t *testing.T, root string) (*store.Store, ocispec.Descriptor) {
	t.Helper()
	s, err := store.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	src := writeFiles(t, map[string]string{"params.json": `{"dim": 8}`, "bin/run.sh": "#!/bin/sh\n"})
	os.Chmod(filepath.Join(src, "bin", "run.sh"), 0o755)
	desc, err := s.PutDir(context.Background(), src, specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, desc
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	return os.SameFile(fa, fb)
}

// TestExportWritesIndependentFiles: exported files are the user's: not the
// blobs, writable, executable where the artifact says so, and a write to
// one (the test runs as root in CI; modes do not protect) leaves the blob
// valid.
func TestExportWritesIndependentFiles(t *testing.T) {
	ctx := context.Background()
	s, desc := exportFixture(t, filepath.Join(t.TempDir(), "store"))
	dst := t.TempDir()
	rep, err := s.Export(ctx, desc, dst, store.ExportOptions{})
	if err != nil || rep.Files != 2 || rep.Cloned+rep.Copied != 2 || rep.Linked != 0 {
		t.Fatalf("export: %+v, %v", rep, err)
	}
	params := filepath.Join(dst, "params.json")
	blob, _ := s.BlobPath(digest.FromString(`{"dim": 8}`))
	if sameFile(t, params, blob) {
		t.Fatal("the exported file is the store's blob")
	}
	for name, exec := range map[string]bool{"params.json": false, "bin/run.sh": true} {
		fi, _ := os.Stat(filepath.Join(dst, name))
		if fi.Mode().Perm()&0o200 == 0 || (fi.Mode().Perm()&0o100 != 0) != exec {
			t.Errorf("%s: mode %v", name, fi.Mode())
		}
	}
	if err := os.WriteFile(params, []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx, ocispec.Descriptor{Digest: digest.FromString(`{"dim": 8}`), Size: 10}); err != nil {
		t.Errorf("blob after editing the export: %v", err)
	}
}

func TestExportLinkHardLinks(t *testing.T) {
	s, desc := exportFixture(t, filepath.Join(t.TempDir(), "store"))
	dst := t.TempDir()
	rep, err := s.Export(context.Background(), desc, dst, store.ExportOptions{Link: true})
	if err != nil || rep.Linked != 2 || rep.Files != 2 {
		t.Fatalf("export --link: %+v, %v", rep, err)
	}
	blob, _ := s.BlobPath(digest.FromString(`{"dim": 8}`))
	if !sameFile(t, filepath.Join(dst, "params.json"), blob) {
		t.Error("Link did not hard-link the blob")
	}
}

// TestExportNeverOverwrites: an existing file stays as it was and the
// export fails naming it.
func TestExportNeverOverwrites(t *testing.T) {
	s, desc := exportFixture(t, filepath.Join(t.TempDir(), "store"))
	dst := t.TempDir()
	os.WriteFile(filepath.Join(dst, "params.json"), []byte("mine"), 0o644)
	_, err := s.Export(context.Background(), desc, dst, store.ExportOptions{})
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("export over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "params.json")); string(b) != "mine" {
		t.Errorf("existing file now %q", b)
	}
}

// TestExportRefusesACorruptBlob: a blob changed behind the store's back is
// not exported, and its file is not left behind.
func TestExportRefusesACorruptBlob(t *testing.T) {
	s, desc := exportFixture(t, filepath.Join(t.TempDir(), "store"))
	blob, _ := s.BlobPath(digest.FromString(`{"dim": 8}`))
	os.Chmod(blob, 0o644)
	os.WriteFile(blob, []byte(`{"dim": 9}`), 0o644)
	dst := t.TempDir()
	if _, err := s.Export(context.Background(), desc, dst, store.ExportOptions{}); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("export of a corrupt blob: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "params.json")); !os.IsNotExist(err) {
		t.Errorf("the corrupt file was exported (%v)", err)
	}
}

// TestExportReflinks: on a file system with reflinks (CKPT_REFLINK_DIR, a
// btrfs or XFS folder), every file is a clone, and still independent.
func TestExportReflinks(t *testing.T) {
	dir := os.Getenv("CKPT_REFLINK_DIR")
	if dir == "" {
		t.Skip("CKPT_REFLINK_DIR (a folder on btrfs or XFS) not set")
	}
	root, err := os.MkdirTemp(dir, "store")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	s, desc := exportFixture(t, filepath.Join(root, "store"))
	dst := filepath.Join(root, "out")
	rep, err := s.Export(context.Background(), desc, dst, store.ExportOptions{})
	if err != nil || rep.Cloned != 2 {
		t.Fatalf("export on a reflink file system: %+v, %v", rep, err)
	}
	os.WriteFile(filepath.Join(dst, "params.json"), []byte("edited"), 0o644)
	if err := s.Verify(context.Background(), ocispec.Descriptor{Digest: digest.FromString(`{"dim": 8}`), Size: 10}); err != nil {
		t.Errorf("blob after editing the clone: %v", err)
	}
}
