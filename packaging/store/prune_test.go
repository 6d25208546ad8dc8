package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// putTagged stores files as an artifact named name.
func putTagged(t *testing.T, s *store.Store, name string, files map[string]string) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	desc, err := s.PutDir(ctx, writeFiles(t, files), specv1.Metadata{Kind: "model", ID: name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, desc, name); err != nil {
		t.Fatal(err)
	}
	return desc
}

// blobFiles lists the blob files of the layout at root.
func blobFiles(t *testing.T, root string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(root, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestPruneRemovesOnlyUnreachableBlobs(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	shared := "the same weights in every build"
	putTagged(t, s, "cache-a", map[string]string{"w.bin": shared, "a.txt": "only a"})
	b := putTagged(t, s, "cache-b", map[string]string{"w.bin": shared, "b.txt": "only b"})
	putTagged(t, s, "step-merge.x", map[string]string{"w.bin": shared, "c.txt": "only c"})
	before := blobFiles(t, s.Root())

	keep := func(name string) bool { return name != "cache-b" }
	dry, err := s.Prune(ctx, keep, store.PruneOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(blobFiles(t, s.Root()), before) {
		t.Fatal("a dry run removed blobs")
	}
	if tags, _ := s.Tags(ctx); !slices.Contains(tags, "cache-b") {
		t.Fatal("a dry run dropped a tag")
	}

	rep, err := s.Prune(ctx, keep, store.PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// b's own blobs: its manifest, its config (its id differs) and b.txt.
	if rep.Removed != 3 || !slices.Equal(rep.Untagged, []string{"cache-b"}) || rep.Tags != 2 {
		t.Fatalf("report %+v: want 3 blobs removed and cache-b untagged", rep)
	}
	if rep.Removed != dry.Removed || rep.Freed != dry.Freed {
		t.Fatalf("dry run said %+v, prune did %+v", dry, rep)
	}
	if got := len(blobFiles(t, s.Root())); got != len(before)-3 || got != rep.Kept {
		t.Fatalf("%d blobs left of %d, report kept %d", got, len(before), rep.Kept)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "blobs", "sha256", b.Digest.Encoded())); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("b's manifest still stored: %v", err)
	}
	for _, name := range []string{"cache-a", "step-merge.x"} {
		desc, err := s.Resolve(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out")
		if err := s.Materialize(ctx, desc, out); err != nil {
			t.Fatalf("%s after prune: %v", name, err)
		}
		if got, _ := os.ReadFile(filepath.Join(out, "w.bin")); string(got) != shared {
			t.Fatalf("%s: shared blob %q", name, got)
		}
	}
}

func TestPruneKeepsWhatAnIndexReaches(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a := putTagged(t, s, "cache-a", map[string]string{"a.txt": "a"})
	idx, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{a}})
	desc, err := s.PushBytes(ctx, ocispec.MediaTypeImageIndex, idx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, desc, "release"); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Prune(ctx, func(name string) bool { return name == "release" }, store.PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed != 0 {
		t.Fatalf("removed %d blobs that the index reaches", rep.Removed)
	}
	if err := s.Materialize(ctx, a, filepath.Join(t.TempDir(), "out")); err != nil {
		t.Fatal(err)
	}
}

func TestPruneToleratesAMissingBlob(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a := putTagged(t, s, "cache-a", map[string]string{"a.txt": "a"})
	putTagged(t, s, "cache-b", map[string]string{"b.txt": "b"})
	os.Remove(filepath.Join(s.Root(), "blobs", "sha256", a.Digest.Encoded()))
	rep, err := s.Prune(ctx, func(name string) bool { return name == "cache-a" }, store.PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// cache-b's 3 blobs, and a's config and layer: nothing reaches them
	// once a's manifest is gone.
	if rep.Removed != 5 || rep.Kept != 0 {
		t.Fatalf("removed %d kept %d, want 5 and 0", rep.Removed, rep.Kept)
	}
}

func TestPruneRefusedWhileAnotherStoreIsOpen(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	putTagged(t, s, "cache-a", map[string]string{"a.txt": "a"})
	other, err := store.Open(ctx, s.Root())
	if err != nil {
		t.Fatal(err)
	}
	before := blobFiles(t, s.Root())
	_, err = s.Prune(ctx, func(string) bool { return false }, store.PruneOptions{})
	if !errors.Is(err, store.ErrInUse) {
		t.Fatalf("err = %v, want ErrInUse", err)
	}
	if !slices.Equal(blobFiles(t, s.Root()), before) {
		t.Fatal("a refused prune removed blobs")
	}
	other.Close()
	rep, err := s.Prune(ctx, func(string) bool { return false }, store.PruneOptions{})
	if err != nil || rep.Removed != len(before) {
		t.Fatalf("after Close: %+v, %v", rep, err)
	}
}

// A writer in another process holds the store open: Prune refuses until
// it is gone, and a Store opened during a Prune waits for it.
func TestPruneRefusedWhileAProcessWrites(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	marker := filepath.Join(t.TempDir(), "marker")
	cmd := helper(t, "slowpush", s.Root(), "w", "CKPT_STORE_MARKER="+marker)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writer never started")
		}
	}
	if _, err := s.Prune(ctx, func(string) bool { return false }, store.PruneOptions{}); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("prune while a process writes: %v, want ErrInUse", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	rep, err := s.Prune(ctx, func(string) bool { return false }, store.PruneOptions{})
	if err != nil {
		t.Fatalf("prune after the writer died: %v", err)
	}
	// The killed writer's half blob (4 MiB) is gone with it.
	if left, _ := filepath.Glob(filepath.Join(s.Root(), "ingest", "*")); len(left) != 0 || rep.Partial != 1 || rep.Freed < int64(len(slowBlob)/2) {
		t.Fatalf("ingest %v after prune, report %+v", left, rep)
	}
}
