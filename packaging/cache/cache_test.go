package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

var (
	plugin = specv1.PluginID{Name: "builtin", Version: "0.1.0", Digest: "sha256:" + strings.Repeat("a", 64)}
	key1   = "sha256:" + strings.Repeat("1", 64)
	key2   = "sha256:" + strings.Repeat("2", 64)
)

// newStore opens a store in a temporary folder.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// putArtifact stores files (name → content) as a step's artifact.
func putArtifact(t *testing.T, st *store.Store, files map[string]string) ocispec.Descriptor {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	desc, err := st.PutDir(t.Context(), dir, specv1.Metadata{Kind: "model", ID: "m"}, map[string]string{specv1.AnnotationStep: "model.base"})
	if err != nil {
		t.Fatal(err)
	}
	return desc
}

func openCache(t *testing.T, host string, st Local, o Options) *Cache {
	t.Helper()
	o.PlainHTTP = true
	c, err := Open(t.Context(), host+"/team/ckpt-cache", st, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSaveLookupFetch(t *testing.T) {
	reg := testenv.NewRegistry(t)
	a := newStore(t)
	art := putArtifact(t, a, map[string]string{"weights.bin": strings.Repeat("w", 3<<20), "config.json": "{}"})
	if err := openCache(t, reg.Host, a, Options{}).Save(t.Context(), key1, "model.base", plugin, art); err != nil {
		t.Fatal(err)
	}
	b := newStore(t)
	c := openCache(t, reg.Host, b, Options{})
	got, err := c.Lookup(t.Context(), key1, plugin)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != art.Digest || got.Size != art.Size {
		t.Fatalf("lookup gave %s (%d bytes), want %s (%d bytes)", got.Digest, got.Size, art.Digest, art.Size)
	}
	if _, err := b.Metadata(t.Context(), got); err != nil {
		t.Fatalf("a hit's manifest and config are not in the local store: %v", err)
	}
	if err := b.CheckArtifact(t.Context(), got); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("a hit copied layers (builds without the bytes): CheckArtifact = %v", err)
	}
	var last, total int64
	n, err := c.Fetch(t.Context(), got, func(d, tot int64) { last, total = d, tot })
	if err != nil {
		t.Fatal(err)
	}
	if n != 3<<20+2 || last != n || total != n {
		t.Errorf("fetched %d bytes, progress %d of %d; want %d", n, last, total, 3<<20+2)
	}
	if err := b.CheckArtifact(t.Context(), got); err != nil {
		t.Fatalf("after Fetch: %v", err)
	}
	if n, err := c.Fetch(t.Context(), got, nil); err != nil || n != 0 {
		t.Errorf("second Fetch moved %d bytes (%v), want 0", n, err)
	}
}

func TestLookupMiss(t *testing.T) {
	reg := testenv.NewRegistry(t)
	c := openCache(t, reg.Host, newStore(t), Options{})
	if _, err := c.Lookup(t.Context(), key1, plugin); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("lookup in an empty cache: %v, want ErrNotFound", err)
	}
}

func TestSaveTwiceIsNoop(t *testing.T) {
	reg := testenv.NewRegistry(t)
	st := newStore(t)
	art := putArtifact(t, st, map[string]string{"a.txt": "a"})
	c := openCache(t, reg.Host, st, Options{})
	if err := c.Save(t.Context(), key1, "model.base", plugin, art); err != nil {
		t.Fatal(err)
	}
	uploads := reg.BlobUploads.Load()
	first, _, err := c.List(t.Context())
	if err != nil || len(first) != 1 {
		t.Fatalf("list: %v %v", first, err)
	}
	if err := c.Save(t.Context(), key1, "model.base", plugin, art); err != nil {
		t.Fatal(err)
	}
	second, _, _ := c.List(t.Context())
	if reg.BlobUploads.Load() != uploads || len(second) != 1 || second[0].Index.Digest != first[0].Index.Digest {
		t.Errorf("second Save uploaded %d blobs and left %v, want nothing changed (%v)", reg.BlobUploads.Load()-uploads, second, first)
	}
}

func TestLookupOtherPluginIsMiss(t *testing.T) {
	reg := testenv.NewRegistry(t)
	st := newStore(t)
	art := putArtifact(t, st, map[string]string{"a.txt": "a"})
	c := openCache(t, reg.Host, st, Options{})
	other := plugin
	other.Digest = "sha256:" + strings.Repeat("b", 64)
	if err := c.Save(t.Context(), key1, "model.base", other, art); err != nil {
		t.Fatal(err)
	}
	_, err := openCache(t, reg.Host, newStore(t), Options{}).Lookup(t.Context(), key1, plugin)
	if !errors.Is(err, ErrPlugin) || !strings.Contains(err.Error(), other.Digest) {
		t.Fatalf("lookup of an entry made by another plugin binary: %v, want ErrPlugin naming %s", err, other.Digest)
	}
}

func TestBrokenEntryIsMissAndSaveRepairs(t *testing.T) {
	reg := testenv.NewRegistry(t)
	st := newStore(t)
	art := putArtifact(t, st, map[string]string{"a.txt": "aaaa", "b.txt": "bbbb"})
	c := openCache(t, reg.Host, st, Options{})
	if err := c.Save(t.Context(), key1, "model.base", plugin, art); err != nil {
		t.Fatal(err)
	}
	m, err := st.Manifest(t.Context(), art)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.repo.Blobs().Delete(t.Context(), m.Layers[1]); err != nil {
		t.Fatal(err)
	}
	fresh := openCache(t, reg.Host, newStore(t), Options{})
	if _, err := fresh.Lookup(t.Context(), key1, plugin); err == nil || errors.Is(err, errdef.ErrNotFound) || !strings.Contains(err.Error(), "b.txt") {
		t.Fatalf("lookup of an entry whose layer is gone: %v, want a miss naming b.txt", err)
	}
	if err := c.Save(t.Context(), key1, "model.base", plugin, art); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Lookup(t.Context(), key1, plugin); err != nil {
		t.Fatalf("after Save repaired the entry: %v", err)
	}
}

func TestInterruptedSaveLeavesNoEntry(t *testing.T) {
	reg := testenv.NewRegistry(t)
	st := newStore(t)
	art := putArtifact(t, st, map[string]string{"a.txt": "a", "b.txt": "b", "c.txt": "c"})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	o := Options{}
	o.Concurrency = 1
	o.Progress = func(e remote.Event) {
		if e.Action == "done" {
			cancel() // the runner dies after its first blob
		}
	}
	if err := openCache(t, reg.Host, st, o).Save(ctx, key1, "model.base", plugin, art); err == nil {
		t.Fatal("an interrupted Save reported success")
	}
	c := openCache(t, reg.Host, newStore(t), Options{})
	if _, err := c.Lookup(t.Context(), key1, plugin); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("after an interrupted Save: %v, want no entry (ErrNotFound)", err)
	}
}

func TestListAndPrune(t *testing.T) {
	reg := testenv.NewRegistry(t)
	st := newStore(t)
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c := openCache(t, reg.Host, st, Options{Now: clock})
	old := putArtifact(t, st, map[string]string{"a.txt": "aaaa"})
	if err := c.Save(t.Context(), key1, "model.base", plugin, old); err != nil {
		t.Fatal(err)
	}
	now = now.Add(48 * time.Hour)
	if err := c.Save(t.Context(), key2, "merge.support", plugin, putArtifact(t, st, map[string]string{"b.txt": "bb"})); err != nil {
		t.Fatal(err)
	}
	entries, bad, err := c.List(t.Context())
	if err != nil || len(bad) != 0 || len(entries) != 2 {
		t.Fatalf("list: %+v bad %v: %v", entries, bad, err)
	}
	if e := entries[0]; e.Key != key1 || e.Step != "model.base" || e.Plugin != plugin || e.Artifact.Digest != old.Digest || e.Size <= 4 {
		t.Errorf("oldest entry %+v", e)
	}
	rep, err := c.Prune(t.Context(), PruneOptions{OlderThan: 24 * time.Hour, DryRun: true})
	if err != nil || len(rep.Deleted) != 1 || rep.Kept != 1 {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	if entries, _, _ := c.List(t.Context()); len(entries) != 2 {
		t.Fatalf("a dry run deleted entries: %d left", len(entries))
	}
	rep, err = c.Prune(t.Context(), PruneOptions{OlderThan: 24 * time.Hour})
	if err != nil || len(rep.Deleted) != 1 || rep.Deleted[0].Key != key1 {
		t.Fatalf("prune: %+v %v", rep, err)
	}
	entries, _, _ = c.List(t.Context())
	if len(entries) != 1 || entries[0].Key != key2 {
		t.Fatalf("after prune: %+v", entries)
	}
	if _, err := c.Lookup(t.Context(), key1, plugin); !errors.Is(err, errdef.ErrNotFound) {
		t.Errorf("a pruned entry is still found: %v", err)
	}
}

func TestParseRef(t *testing.T) {
	for _, tt := range []struct{ in, wantErr string }{
		{"127.0.0.1:5000/team/cache", ""},
		{"127.0.0.1:5000/team/cache:v1", "without a tag"},
		{"oci:/tmp/x", "not a layout folder"},
		{"", "cache"},
	} {
		_, err := ParseRef(tt.in)
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ParseRef(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
		}
	}
}
