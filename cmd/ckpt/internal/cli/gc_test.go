package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/store"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func storeBlobs(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, ".ckpt", "store", "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestGCKeepsTheLastBuild: after a build with a retrained adapter, gc drops
// the first build's cache entries and their blobs, and the last build
// stays whole: export works and a rebuild runs nothing.
func TestGCKeepsTheLastBuild(t *testing.T) {
	dir := quickstartProject(t)
	build := func() {
		t.Helper()
		if code, out, errOut := ckptProc(t, nil, "build", dir, "--json"); code != 0 {
			t.Fatalf("build: exit %d\n%s\n%s", code, out, errOut)
		}
	}
	build()
	retrain(t, dir, 3)
	build()
	before := storeBlobs(t, dir)

	code, out, errOut := ckptProc(t, nil, "gc", "--dir", dir, "--dry-run", "--json")
	var dry store.PruneReport
	if code != 0 || json.Unmarshal([]byte(out), &dry) != nil {
		t.Fatalf("gc --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	if !dry.DryRun || dry.Removed == 0 || len(dry.Untagged) == 0 || storeBlobs(t, dir) != before {
		t.Fatalf("dry run %+v with %d → %d blobs", dry, before, storeBlobs(t, dir))
	}
	for _, name := range dry.Untagged {
		if !strings.HasPrefix(name, "cache-") {
			t.Errorf("gc would drop %s, not a cache entry", name)
		}
	}

	code, out, errOut = ckptProc(t, nil, "gc", "--dir", dir)
	if code != 0 || !strings.Contains(out, "dropped") {
		t.Fatalf("gc: exit %d\n%s%s", code, out, errOut)
	}
	if got := storeBlobs(t, dir); got != before-dry.Removed {
		t.Fatalf("%d blobs after gc, want %d - %d", got, before, dry.Removed)
	}
	if code, out, errOut := ckptProc(t, nil, "export", "--dir", dir, "merge.support", filepath.Join(t.TempDir(), "m")); code != 0 {
		t.Fatalf("export after gc: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = ckptProc(t, nil, "build", dir, "--json")
	if code != 0 {
		t.Fatalf("rebuild after gc: exit %d\n%s", code, errOut)
	}
	for _, e := range parseEvents(t, out) {
		if e.Type == run.EventStepFinished && !e.Cached {
			t.Errorf("%s ran again after gc", e.Step)
		}
	}
}

func TestGCRefusedWhileTheStoreIsInUse(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, ".ckpt", "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, _, errOut := ckptProc(t, nil, "gc", "--dir", dir)
	if code != 1 || !strings.Contains(errOut, "in use") {
		t.Fatalf("gc while a store is open: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := ckptProc(t, nil, "gc", "--dir", dir, "--keep-builds", "-1"); code != 2 || !strings.Contains(errOut, "--keep-builds") {
		t.Fatalf("gc --keep-builds -1: exit %d\n%s", code, errOut)
	}
}

// TestGCBrokenLedgerDropsNothing: with a ledger it cannot read, gc names
// the ledger's bad line, exits 1 and keeps every cache entry.
func TestGCBrokenLedgerDropsNothing(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, ".ckpt", "store"))
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "w.bin"), []byte("weights"), 0o644)
	desc, err := st.PutDir(ctx, src, specv1.Metadata{Kind: "model", ID: "m"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Tag(ctx, desc, state.CacheTag("sha256:"+strings.Repeat("a", 64))); err != nil {
		t.Fatal(err)
	}
	st.Close()
	os.WriteFile(state.For(dir).Ledger(), []byte("{broken\n"), 0o644)
	code, _, errOut := ckptProc(t, nil, "gc", "--dir", dir)
	if code != 1 || !strings.Contains(errOut, "ledger.jsonl:1") {
		t.Fatalf("gc with a broken ledger: exit %d\n%s", code, errOut)
	}
	st, _ = store.Open(ctx, filepath.Join(dir, ".ckpt", "store"))
	defer st.Close()
	if tags, _ := st.Tags(ctx); len(tags) != 1 {
		t.Fatalf("tags after gc: %v", tags)
	}
}
