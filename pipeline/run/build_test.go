package run_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

const chain = `
variable "token" {
  default   = "s3cret"
  sensitive = true
}
variable "tag" { default = "v1" }

model "t" "base" { content = "base-${var.tag}" }
adapter "t" "lora" { content = "lora" }
merge "t" "m" {
  inputs  = [model.base, adapter.lora]
  content = "merged"
}
check "t" "c" {
  target  = merge.m
  content = "checked"
}
bundle "t" "b" {
  from    = merge.m
  content = "bundle"
}
push "t" "p" {
  from = bundle.b
  ref  = "localhost/x:1"
}
`

func TestBuildThenCachedRebuild(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, chain)
	ev := &events{}
	res, err := p.build(t, ctx, run.Options{Sink: ev, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(res); got != "adapter.lora=ok bundle.b=ok check.c=ok merge.m=ok model.base=ok" {
		t.Fatalf("statuses: %s", got)
	}
	if n := p.exec.calls.Load(); n != 5 {
		t.Fatalf("%d plugin calls, want 5 (push steps need Push)", n)
	}
	// Data flowed through materialized inputs; the gate edge is an input.
	b := p.exec.request("bundle.b")
	if attrs := inputAttrs(b); attrs != "from,gate" {
		t.Errorf("bundle inputs %q, want from,gate", attrs)
	}
	out := filepath.Join(t.TempDir(), "export")
	desc, _ := p.store.Resolve(ctx, state.For(p.dir).StepTag("merge.m"))
	if err := p.store.Materialize(ctx, desc, out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "out.txt")); string(got) != "merged|inputs:base-v1|inputs:lora" {
		t.Errorf("merge output %q", got)
	}
	if bi := b.Build; bi == nil || bi.CkptVersion != "test" || bi.Variables["token"] != run.Redacted || bi.Variables["tag"] != "v1" || len(bi.Steps) != 4 {
		t.Errorf("build info %+v", bi)
	}

	ev2 := &events{}
	res2, err := p.build(t, ctx, run.Options{Sink: ev2})
	if err != nil {
		t.Fatal(err)
	}
	if n := p.exec.calls.Load(); n != 5 {
		t.Errorf("rebuild started %d plugin calls, want none", n-5)
	}
	for addr, e := range ev2.finished() {
		if !e.Cached || e.Status != run.StatusCached || e.Artifact != res.Step(addr).Artifact {
			t.Errorf("rebuild %s: %+v, want cached with artifact %s", addr, e, res.Step(addr).Artifact)
		}
	}
	if res2.Ledger != 2 {
		t.Errorf("ledger entry %d, want 2", res2.Ledger)
	}
	assertTmpEmpty(t, p)
}

func inputAttrs(req *specv1.RunRequest) string {
	var a []string
	for _, in := range req.Inputs {
		a = append(a, in.Attr)
	}
	return strings.Join(a, ",")
}

func TestChangedInputRebuildsDownstream(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, chain)
	if _, err := p.build(t, ctx, run.Options{}); err != nil {
		t.Fatal(err)
	}
	g := p.graph(t, "tag=v2")
	res, err := run.Build(ctx, g, p.exec, p.store, run.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(res); got != "adapter.lora=cached bundle.b=ok check.c=ok merge.m=ok model.base=ok" {
		t.Errorf("statuses after changing the base: %s", got)
	}
}

func TestIndependentStepsRunAtOnce(t *testing.T) {
	p := newProject(t, `
model "t" "a" { meet = "x" }
model "t" "b" { meet = "x" }
`)
	res, err := p.build(t, context.Background(), run.Options{Parallelism: 2})
	if err != nil {
		t.Fatalf("%v (%s)", err, statuses(res))
	}
	if p.exec.maxRun.Load() != 2 {
		t.Errorf("max concurrent steps %d, want 2", p.exec.maxRun.Load())
	}
}

func TestParallelismBound(t *testing.T) {
	p := newProject(t, `
model "t" "a" { sleep = "20ms" }
model "t" "b" { sleep = "20ms" }
model "t" "c" { sleep = "20ms" }
`)
	if _, err := p.build(t, context.Background(), run.Options{Parallelism: 1}); err != nil {
		t.Fatal(err)
	}
	if m := p.exec.maxRun.Load(); m != 1 {
		t.Errorf("max concurrent steps %d with parallelism 1", m)
	}
}

func TestFailFast(t *testing.T) {
	p := newProject(t, `
model "t" "bad" { fail = true }
model "t" "slow" { block = true }
merge "t" "m" { from = model.bad }
`)
	res, err := p.build(t, context.Background(), run.Options{Parallelism: 2})
	if !errors.Is(err, run.ErrBuildFailed) || !strings.Contains(err.Error(), "model.bad: told to fail") {
		t.Fatalf("err = %v", err)
	}
	if got := statuses(res); got != "merge.m=skipped model.bad=failed model.slow=cancelled" {
		t.Errorf("statuses: %s", got)
	}
	if res.Status != run.StatusFailed {
		t.Errorf("build status %s", res.Status)
	}
	assertTmpEmpty(t, p)
}

func TestKeepGoing(t *testing.T) {
	p := newProject(t, `
model "t" "bad" { fail = true }
model "t" "ok" { sleep = "10ms" }
merge "t" "m" { from = model.bad }
`)
	res, _ := p.build(t, context.Background(), run.Options{Parallelism: 2, KeepGoing: true})
	if got := statuses(res); got != "merge.m=skipped model.bad=failed model.ok=ok" {
		t.Errorf("statuses: %s", got)
	}
}

func TestOnlyAndExcept(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, chain)
	if _, err := p.build(t, ctx, run.Options{Only: []string{"merge.nope"}}); err == nil || !strings.Contains(err.Error(), "--only merge.nope") {
		t.Fatalf("--only with no match: err = %v", err)
	}
	if _, err := p.build(t, ctx, run.Options{Except: []string{"model.base", "adapter.lora"}}); err == nil || !strings.Contains(err.Error(), "no step selected") {
		t.Fatalf("everything excepted: err = %v", err)
	}
	if _, err := p.build(t, ctx, run.Options{Except: []string{"nope.x"}}); err == nil || !strings.Contains(err.Error(), "--except nope.x") {
		t.Fatalf("--except with no match: err = %v", err)
	}
	if _, err := p.build(t, ctx, run.Options{Only: []string{"push.p"}}); err == nil || !strings.Contains(err.Error(), "ckpt push") {
		t.Fatalf("--only a push step without Push: err = %v", err)
	}
	res, err := p.build(t, ctx, run.Options{Only: []string{"merge.m"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(res); got != "adapter.lora=ok merge.m=ok model.base=ok" {
		t.Errorf("--only merge.m: %s", got)
	}
	res, err = p.build(t, ctx, run.Options{Except: []string{"merge.m"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(res); got != "adapter.lora=cached model.base=cached" {
		t.Errorf("--except merge.m: %s", got)
	}
}

func TestPushStepsRunOnlyWhenAskedAndNeverCached(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, chain)
	for i := 0; i < 2; i++ {
		res, err := p.build(t, ctx, run.Options{Push: true, Transport: &specv1.Transport{PlainHTTP: true}})
		if err != nil {
			t.Fatal(err)
		}
		if s := res.Step("push.p"); s == nil || s.Status != run.StatusOK {
			t.Fatalf("build %d: push step %+v", i, s)
		}
	}
	if n := p.exec.calls.Load(); n != 7 {
		t.Errorf("%d calls, want 5 + 2 pushes", n)
	}
	if tr := p.exec.request("push.p").Transport; tr == nil || !tr.PlainHTTP {
		t.Errorf("push request transport %+v, want plain HTTP", tr)
	}
	entries, err := state.ReadLedger(state.For(p.dir).Ledger())
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	var pushed *state.Pushed
	for _, s := range last.Steps {
		if s.Address == "push.p" {
			pushed = s.Pushed
		}
	}
	if pushed == nil || pushed.Ref != "localhost/x:1" || pushed.Digest == "" {
		t.Errorf("ledger pushed = %+v", pushed)
	}
	if string(last.Variables["token"]) != `"(sensitive)"` || string(last.Variables["tag"]) != `"v1"` {
		t.Errorf("ledger variables %s", last.Variables)
	}
}

func TestCancelLeavesNothingCachedAndRerunCompletes(t *testing.T) {
	p := newProject(t, `
model "t" "a" { content = "a" }
merge "t" "long" {
  from  = model.a
  block = true
}
`)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s := range p.exec.started {
			if s == "merge.long" {
				cancel()
				return
			}
		}
	}()
	res, err := p.build(t, ctx, run.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res.Status != run.StatusCancelled || res.Step("merge.long").Status != run.StatusCancelled {
		t.Fatalf("status %s, %s", res.Status, statuses(res))
	}
	if _, err := p.store.Resolve(context.Background(), state.For(p.dir).StepTag("merge.long")); !errors.Is(err, errdef.ErrNotFound) {
		t.Errorf("a cancelled step was recorded: %v", err)
	}
	tags, _ := p.store.Tags(context.Background())
	if len(tags) != 2 { // model.a: cache + step
		t.Errorf("tags after cancel: %v", tags)
	}
	assertTmpEmpty(t, p)

	p.write(t, `
model "t" "a" { content = "a" }
merge "t" "long" {
  from = model.a
}
`)
	res, err = p.build(t, context.Background(), run.Options{})
	if err != nil || statuses(res) != "merge.long=ok model.a=cached" {
		t.Fatalf("rerun: %v %s", err, statuses(res))
	}
}

func TestTimeout(t *testing.T) {
	p := newProject(t, `
model "t" "a" {
  block   = true
  timeout = "30ms"
}
`)
	res, err := p.build(t, context.Background(), run.Options{})
	if err == nil || !strings.Contains(err.Error(), "timed out after 30ms") {
		t.Fatalf("err = %v", err)
	}
	if s := res.Step("model.a"); s.Status != run.StatusFailed {
		t.Errorf("status %s", s.Status)
	}
}

func TestErrorFindingFailsUnlessWarn(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, `
model "t" "a" {}
check "t" "strict" {
  target  = model.a
  finding = "error"
}
check "t" "lenient" {
  target     = model.a
  finding    = "error"
  content    = "other"
  on_failure = "warn"
}
`)
	res, err := p.build(t, ctx, run.Options{KeepGoing: true})
	if err == nil || !strings.Contains(err.Error(), "out.txt: test.finding: found") {
		t.Fatalf("err = %v", err)
	}
	if got := statuses(res); got != "check.lenient=ok check.strict=failed model.a=ok" {
		t.Errorf("statuses %s", got)
	}
	if res.Step("check.strict").Artifact == "" {
		t.Error("the failed check's artifact was not kept for reports")
	}
	calls := p.exec.calls.Load()
	res, _ = p.build(t, ctx, run.Options{KeepGoing: true})
	if got := statuses(res); got != "check.lenient=cached check.strict=failed model.a=cached" {
		t.Errorf("rebuild statuses %s", got)
	}
	if p.exec.calls.Load() != calls+1 {
		t.Error("a failed step was served from the cache")
	}
}

func TestPathContentIsInCacheKey(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, `model "t" "a" { path = "./weights" }`)
	w := filepath.Join(p.dir, "weights")
	os.MkdirAll(w, 0o755)
	os.WriteFile(filepath.Join(w, "x.bin"), []byte("1"), 0o644)
	for i, want := range []string{"ok", "cached", "ok"} {
		if i == 2 {
			os.WriteFile(filepath.Join(w, "x.bin"), []byte("22"), 0o644)
		}
		res, err := p.build(t, ctx, run.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Step("model.a").Status; got != want {
			t.Errorf("build %d: %s, want %s", i, got, want)
		}
	}
}

func TestUpstreamOutputsResolveConfig(t *testing.T) {
	p := newProject(t, `
model "t" "a" { note = "hello" }
merge "t" "m" {
  from = model.a
  note = "from ${model.a.note} ${model.a.id} ${model.a.digest}"
}
`)
	if _, err := p.build(t, context.Background(), run.Options{}); err != nil {
		t.Fatal(err)
	}
	if cfg := string(p.exec.request("merge.m").Config); !strings.Contains(cfg, `"note":"from hello model.a sha256:`) {
		t.Errorf("config %s", cfg)
	}
}

func TestEvalBaselineFromLedger(t *testing.T) {
	ctx := context.Background()
	src := `
model "t" "a" { content = "%s" }
eval "t" "e" {
  target   = model.a
  baseline = "ledger:previous"
}
`
	p := newProject(t, strings.Replace(src, "%s", "one", 1))
	res1, err := p.build(t, ctx, run.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if in := p.exec.request("eval.e").InputsFor("baseline"); len(in) != 0 {
		t.Fatalf("first build has a baseline: %+v", in)
	}
	p.write(t, strings.Replace(src, "%s", "two", 1))
	if _, err := p.build(t, ctx, run.Options{}); err != nil {
		t.Fatal(err)
	}
	in := p.exec.request("eval.e").InputsFor("baseline")
	if len(in) != 1 || in[0].Digest != res1.Step("eval.e").Artifact || in[0].Step != "eval.e" {
		t.Fatalf("baseline inputs %+v, want eval.e's artifact %s", in, res1.Step("eval.e").Artifact)
	}
	res3, _ := p.build(t, ctx, run.Options{})
	if s := res3.Step("eval.e"); !s.Cached {
		t.Errorf("unchanged eval with a ledger baseline was not cached: %s", s.Status)
	}
}

// A cached artifact that cannot be read whole is a miss: the step runs
// again and its write replaces the damaged blob (issue 16, failure 2).
func TestDamagedCacheEntryIsRebuilt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, p *project)
	}{
		{"corrupt layer", func(t *testing.T, p *project) {
			for _, b := range blobsHolding(t, p, func(c []byte) bool { return string(c) == "a" }) {
				os.Chmod(b, 0o644)
				os.WriteFile(b, []byte("b"), 0o644)
			}
		}},
		{"missing manifest", func(t *testing.T, p *project) {
			for _, b := range blobsHolding(t, p, func(c []byte) bool { return strings.Contains(string(c), `"layers"`) }) {
				os.Remove(b)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			p := newProject(t, `
model "t" "a" { content = "a" }
merge "t" "m" { from = model.a }
`)
			if _, err := p.build(t, ctx, run.Options{Only: []string{"model.a"}}); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, p)
			ev := &events{}
			res, err := p.build(t, ctx, run.Options{Sink: ev})
			if err != nil {
				t.Fatalf("build over a damaged cache entry: %v", err)
			}
			if s := res.Step("model.a"); s.Cached || s.Status != run.StatusOK {
				t.Errorf("model.a: cached=%v status=%s, want re-run", s.Cached, s.Status)
			}
			if !strings.Contains(ev.logs("model.a"), "is damaged") {
				t.Errorf("no log says why model.a re-ran: %q", ev.logs("model.a"))
			}
			desc, _ := p.store.Resolve(ctx, state.For(p.dir).StepTag("model.a"))
			if err := p.store.CheckArtifact(ctx, desc); err != nil {
				t.Errorf("store not repaired: %v", err)
			}
			if n := p.exec.calls.Load(); n != 3 {
				t.Errorf("%d plugin calls, want 3", n)
			}
		})
	}
}

func blobsHolding(t *testing.T, p *project, match func([]byte) bool) []string {
	t.Helper()
	blobs, _ := filepath.Glob(filepath.Join(p.store.Root(), "blobs", "sha256", "*"))
	var out []string
	for _, b := range blobs {
		if c, _ := os.ReadFile(b); match(c) {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		t.Fatal("no blob to damage")
	}
	return out
}

func assertTmpEmpty(t *testing.T, p *project) {
	t.Helper()
	left, _ := os.ReadDir(filepath.Join(p.dir, ".ckpt", "tmp"))
	if len(left) != 0 {
		t.Errorf("temporary step folders left: %v", left)
	}
}

func TestCachedErrorFindingsFailStrictStep(t *testing.T) {
	ctx := context.Background()
	lenient := `
model "t" "a" {}
check "t" "c" {
  target     = model.a
  finding    = "error"
  on_failure = "warn"
}
`
	p := newProject(t, lenient)
	if _, err := p.build(t, ctx, run.Options{}); err != nil {
		t.Fatal(err)
	}
	p.write(t, strings.Replace(lenient, `on_failure = "warn"`, "", 1))
	res, err := p.build(t, ctx, run.Options{})
	if err == nil || res.Step("check.c").Status != run.StatusFailed {
		t.Fatalf("strict step served a cached artifact with error findings: %v %s", err, statuses(res))
	}
}

func TestSpecFolderAsPathStaysCached(t *testing.T) {
	p := newProject(t, `model "t" "a" { path = "./" }`)
	for i, want := range []string{"ok", "cached"} {
		res, err := p.build(t, context.Background(), run.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Step("model.a").Status; got != want {
			t.Errorf("build %d: %s, want %s (.ckpt must not enter the fingerprint)", i, got, want)
		}
	}
}

// TestPathKeysFollowContent: the cache key of a step with a path depends on
// the bytes under it, not on the folder the spec lies in or on mtimes, so
// two checkouts agree and a touched file stays cached.
func TestPathKeysFollowContent(t *testing.T) {
	ctx := context.Background()
	src := `model "t" "a" { path = "./weights" }`
	keys := map[string]bool{}
	var last *project
	for i := 0; i < 2; i++ {
		p := newProject(t, src)
		w := filepath.Join(p.dir, "weights")
		os.MkdirAll(filepath.Join(w, "sub"), 0o755)
		os.WriteFile(filepath.Join(w, "sub", "x.bin"), []byte("weights"), 0o644)
		when := time.Now().Add(-time.Duration(i+1) * time.Hour)
		os.Chtimes(filepath.Join(w, "sub", "x.bin"), when, when)
		res, err := p.build(t, ctx, run.Options{})
		if err != nil {
			t.Fatal(err)
		}
		keys[res.Step("model.a").CacheKey] = true
		last = p
	}
	if len(keys) != 1 {
		t.Fatalf("two checkouts with the same weights got keys %v", keys)
	}
	x := filepath.Join(last.dir, "weights", "sub", "x.bin")
	now := time.Now()
	os.Chtimes(x, now, now)
	if res, _ := last.build(t, ctx, run.Options{}); res.Step("model.a").Status != run.StatusCached {
		t.Errorf("touched file: %s, want cached", res.Step("model.a").Status)
	}
	os.WriteFile(x, []byte("WEIGHTS"), 0o644) // same size, new bytes
	if res, _ := last.build(t, ctx, run.Options{}); res.Step("model.a").Status != run.StatusOK {
		t.Errorf("changed bytes: %s, want a run", res.Step("model.a").Status)
	}
	os.Chmod(x, 0o755)
	if res, _ := last.build(t, ctx, run.Options{}); res.Step("model.a").Status != run.StatusOK {
		t.Errorf("made executable: %s, want a run", res.Step("model.a").Status)
	}
}

// logs joins the log messages of step addr.
func (s *events) logs(addr string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.ev {
		if e.Type == run.EventStepLog && e.Step == addr {
			out = append(out, e.Message)
		}
	}
	return strings.Join(out, "\n")
}
