package run_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/packaging/store"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// packaging/store's Store takes the build's hash cache.
var _ run.KnownPutter = (*store.Store)(nil)

const referSpec = `model "t" "a" {
  path  = "./weights"
  refer = true
}
`

// referProject is a project whose step refers to a 16 MiB weights file.
func referProject(t *testing.T) (*project, int64) {
	t.Helper()
	p := newProject(t, referSpec)
	w := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	os.MkdirAll(filepath.Join(p.dir, "weights"), 0o755)
	if err := os.WriteFile(filepath.Join(p.dir, "weights", "w.bin"), w, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, int64(len(w))
}

// bytesRead is what this process has read through read system calls
// (rchar in /proc/self/io).
func bytesRead(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io to count reads with")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "rchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Skip("no rchar in /proc/self/io")
	return 0
}

// plainStore hides PutDirKnown: the engine cannot hand it its hash cache.
type plainStore struct{ run.Store }

// TestReferredFileReadOnce: the cache key's fingerprint reads the user's
// weights; storing the output that refers to them does not read them
// again (the store takes the fingerprint's digest). A store that cannot
// take it reads them twice.
func TestReferredFileReadOnce(t *testing.T) {
	for _, c := range []struct {
		name     string
		plain    bool
		min, max float64 // bounds of the bytes read, in weights sizes
	}{{"hash cache handed over", false, 1, 1.5}, {"store hashing", true, 2, 2.5}} {
		t.Run(c.name, func(t *testing.T) {
			p, size := referProject(t)
			var st run.Store = p.store
			if c.plain {
				st = plainStore{p.store}
			}
			before := bytesRead(t)
			res, err := run.Build(context.Background(), p.graph(t), p.exec, st, run.Options{})
			read := bytesRead(t) - before
			if err != nil || res.Step("model.a").Status != run.StatusOK {
				t.Fatalf("build: %v", err)
			}
			if float64(read) < c.min*float64(size) || float64(read) > c.max*float64(size) {
				t.Errorf("the build read %d bytes for %d bytes of weights, want %.1f to %.1f times that", read, size, c.min, c.max)
			}
		})
	}
}

// TestMovedProjectRefersAgain: a project folder moved elsewhere keeps its
// cache keys, but the store's links point to where the weights were: the
// cache hit is a miss, the step runs again and the store refers to the
// weights where they are now.
func TestMovedProjectRefersAgain(t *testing.T) {
	ctx := context.Background()
	p, _ := referProject(t)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(p.dir, "weights", "w.bin"), old, old)
	first, err := p.build(t, ctx, run.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.store.Close()
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(p.dir, moved); err != nil {
		t.Fatal(err)
	}
	p.dir = moved
	if p.store, err = store.Open(ctx, filepath.Join(moved, ".ckpt", "store")); err != nil {
		t.Fatal(err)
	}
	var ev events
	res, err := p.build(t, ctx, run.Options{Sink: &ev})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Step("model.a")
	if a.Status != run.StatusOK || a.CacheKey != first.Step("model.a").CacheKey || a.Artifact != first.Step("model.a").Artifact {
		t.Fatalf("after the move: %+v; want the same key and artifact, rebuilt", a)
	}
	var said bool
	for _, e := range ev.ev {
		said = said || (e.Type == run.EventStepLog && strings.Contains(e.Message, "damaged") && strings.Contains(e.Message, "is gone"))
	}
	if !said {
		t.Error("the build did not say why the cached artifact was rebuilt")
	}
	desc, err := p.store.Resolve(ctx, a.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.store.Materialize(ctx, desc, t.TempDir()); err != nil {
		t.Errorf("materialize after the rebuild: %v", err)
	}
}

// TestChangedReferredFileIsAMiss: two projects share a store; the first
// one's weights change after its build; the second, with the original
// weights, has the same cache key, but the entry refers to the first
// one's changed file: a miss, the step runs and its artifact is the same.
func TestChangedReferredFileIsAMiss(t *testing.T) {
	ctx := context.Background()
	a, _ := referProject(t)
	b, _ := referProject(t)
	b.store = a.store
	first, err := a.build(t, ctx, run.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(filepath.Join(a.dir, "weights", "w.bin"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteAt([]byte("X"), 7)
	w.Close()
	var ev events
	res, err := b.build(t, ctx, run.Options{Sink: &ev})
	if err != nil {
		t.Fatal(err)
	}
	got, want := res.Step("model.a"), first.Step("model.a")
	if got.Status != run.StatusOK || got.Cached || got.CacheKey != want.CacheKey || got.Artifact != want.Artifact {
		t.Fatalf("second project: %+v; want the first one's key and artifact, rebuilt", got)
	}
	var said bool
	for _, e := range ev.ev {
		said = said || (e.Type == run.EventStepLog && strings.Contains(e.Message, filepath.Join(a.dir, "weights", "w.bin")) && strings.Contains(e.Message, "changed"))
	}
	if !said {
		t.Error("the build did not name the changed file it rebuilt for")
	}
	desc, err := b.store.Resolve(ctx, got.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.CheckArtifact(ctx, desc); err != nil {
		t.Errorf("the rebuilt artifact: %v", err)
	}
}
