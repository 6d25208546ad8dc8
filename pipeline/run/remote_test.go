package run_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/cache"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// remoteCache opens the cache repository of reg for p's store.
func remoteCache(t *testing.T, reg *testenv.Registry, p *project) *cache.Cache {
	t.Helper()
	o := cache.Options{}
	o.PlainHTTP = true
	c, err := cache.Open(t.Context(), reg.Host+"/ci/cache", p.store, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func logs(ev *events, step, part string) int {
	n := 0
	for _, e := range ev.ev {
		if e.Type == run.EventStepLog && e.Step == step && strings.Contains(e.Message, part) {
			n++
		}
	}
	return n
}

func TestRemoteCacheSharesWorkWithoutBytes(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	a := newProject(t, chain)
	resA, err := a.build(t, ctx, run.Options{Cache: remoteCache(t, reg, a)})
	if err != nil {
		t.Fatal(err)
	}

	b := newProject(t, chain) // another machine: own folder, empty store
	ev := &events{}
	resB, err := b.build(t, ctx, run.Options{Cache: remoteCache(t, reg, b), Sink: ev})
	if err != nil {
		t.Fatal(err)
	}
	if n := b.exec.calls.Load(); n != 0 {
		t.Fatalf("runner B ran %d steps, want 0 (all in the remote cache)", n)
	}
	for _, s := range resB.Steps {
		if !s.Cached || s.Artifact != resA.Step(s.Address).Artifact {
			t.Errorf("%s: cached=%v artifact %s, want A's %s", s.Address, s.Cached, s.Artifact, resA.Step(s.Address).Artifact)
		}
		if logs(ev, s.Address, "remote cache hit") != 1 {
			t.Errorf("%s: no remote cache hit in the log", s.Address)
		}
	}
	merge := resB.Step("merge.m")
	if err := b.store.CheckArtifact(ctx, descOf(t, b, merge.Artifact)); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("a remote hit downloaded the layers: CheckArtifact = %v", err)
	}

	// Again on B: local hits whose layers are remote are not "damaged".
	ev = &events{}
	if _, err := b.build(t, ctx, run.Options{Cache: remoteCache(t, reg, b), Sink: ev}); err != nil {
		t.Fatal(err)
	}
	for _, e := range ev.ev {
		if strings.Contains(e.Message, "damaged") {
			t.Errorf("%s: %s", e.Step, e.Message)
		}
	}

	// A step that runs on B gets its remote-backed input fetched first.
	b.write(t, strings.Replace(chain, `content = "bundle"`, `content = "bundle2"`, 1))
	ev = &events{}
	res, err := b.build(t, ctx, run.Options{Cache: remoteCache(t, reg, b), Sink: ev})
	if err != nil {
		t.Fatal(err)
	}
	if n := b.exec.calls.Load(); n != 1 || res.Step("bundle.b").Cached {
		t.Fatalf("%d steps ran, want the changed bundle only", n)
	}
	if logs(ev, "bundle.b", "from the remote cache") != 2 { // from, gate
		t.Errorf("bundle.b did not fetch its inputs from the remote cache: %+v", ev.ev)
	}
	if err := b.store.CheckArtifact(ctx, descOf(t, b, merge.Artifact)); err != nil {
		t.Errorf("the bundle's input after it ran: %v", err)
	}
}

func TestRemoteCacheReadOnlyWritesNothing(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	p := newProject(t, chain)
	c := remoteCache(t, reg, p)
	if _, err := p.build(t, ctx, run.Options{Cache: c, CacheReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	entries, _, err := c.List(ctx)
	if err != nil || len(entries) != 0 || reg.BlobUploads.Load() != 0 {
		t.Fatalf("a read-only build wrote %d entries and %d blobs (%v)", len(entries), reg.BlobUploads.Load(), err)
	}
	// Read-only still reads: a second runner's hits come from a writer's entries.
	w := newProject(t, chain)
	if _, err := w.build(t, ctx, run.Options{Cache: remoteCache(t, reg, w)}); err != nil {
		t.Fatal(err)
	}
	q := newProject(t, chain)
	if _, err := q.build(t, ctx, run.Options{Cache: remoteCache(t, reg, q), CacheReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	if n := q.exec.calls.Load(); n != 0 {
		t.Errorf("a read-only runner ran %d steps the cache has", n)
	}
}

func descOf(t *testing.T, p *project, dg string) ocispec.Descriptor {
	t.Helper()
	d, err := p.store.Resolve(context.Background(), dg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRemoteInputsStayInTheCache(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	a := newProject(t, chain)
	if _, err := a.build(t, ctx, run.Options{Cache: remoteCache(t, reg, a)}); err != nil {
		t.Fatal(err)
	}
	// Runner B pushes with a component that reads remote inputs: the
	// bundle's file stays in the cache, named with its digest.
	src := strings.Replace(chain, `push "t" "p"`, `push "novel" "p"`, 1)
	b := newProject(t, src)
	ev := &events{}
	res, err := b.build(t, ctx, run.Options{Cache: remoteCache(t, reg, b), Push: true, Sink: ev})
	if err != nil {
		t.Fatal(err)
	}
	in := b.exec.request("push.p").Inputs[0]
	bundle := descOf(t, b, res.Step("bundle.b").Artifact)
	m, err := b.store.Manifest(ctx, bundle)
	if err != nil {
		t.Fatal(err)
	}
	want := []specv1.RemoteFile{{Path: "out.txt", Digest: m.Layers[0].Digest.String(), Size: m.Layers[0].Size}}
	if in.Remote == nil || in.Remote.Repository != reg.Host+"/ci/cache" || !in.Remote.PlainHTTP || !slices.Equal(in.Remote.Missing, want) {
		t.Fatalf("push input's Remote = %+v, want the cache and %+v", in.Remote, want)
	}
	if ents, err := os.ReadDir(in.Dir); err == nil && len(ents) != 0 {
		t.Errorf("the input folder holds %d files, want none", len(ents))
	}
	if err := b.store.CheckArtifact(ctx, bundle); !errors.Is(err, errdef.ErrNotFound) {
		t.Errorf("the bundle's layers were fetched: CheckArtifact = %v", err)
	}
	if logs(ev, "push.p", "stay in the remote cache") != 1 {
		t.Errorf("no log of the files left in the cache: %+v", ev.ev)
	}

	// Runner A has every file: the cache is named, nothing is missing.
	a.write(t, src)
	if _, err := a.build(t, ctx, run.Options{Cache: remoteCache(t, reg, a), Push: true}); err != nil {
		t.Fatal(err)
	}
	if r := a.exec.request("push.p").Inputs[0].Remote; r == nil || len(r.Missing) != 0 {
		t.Errorf("runner A's push input: Remote = %+v, want the cache and no missing file", r)
	}
	// A component without the capability gets its input fetched: no Remote.
	c := newProject(t, chain)
	if _, err := c.build(t, ctx, run.Options{Cache: remoteCache(t, reg, c), Push: true}); err != nil {
		t.Fatal(err)
	}
	if r := c.exec.request("push.p").Inputs[0].Remote; r != nil {
		t.Errorf("push \"t\" got Remote %+v", r)
	}
}
