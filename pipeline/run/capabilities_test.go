package run_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// novelSpec uses the "novel" components (helpers_test.go): a check that
// judges the step its "from" names, an export that waits for gates as a
// bundle does, and a dataset that publishes. No built-in component has
// these combinations; the scheduler knows them only by their capabilities.
const novelSpec = `
model "t" "base" { content = "base" }
check "novel" "judge" {
  from = model.base
  fail = %s
}
export "novel" "gguf" { from = model.base }
dataset "novel" "pub" {
  from = export.gguf
  path = "./written/by/pub"
  ref  = "localhost/pub:1"
}
`

func TestNovelCapabilities(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, strings.Replace(novelSpec, "%s", "false", 1))
	g := p.graph(t)
	if got := inputsOf(g.Step("export.gguf").Inputs); got != "model.base:from check.judge:gate(gate)" {
		t.Errorf("export inputs %s, want the judge's gate edge", got)
	}
	for i, want := range []string{"check.judge=ok export.gguf=ok model.base=ok",
		"check.judge=cached export.gguf=cached model.base=cached"} {
		res, err := p.build(t, ctx, run.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := statuses(res); got != want {
			t.Errorf("build %d: %s, want %s (a publishing step runs only when pushing)", i, got, want)
		}
	}
	if _, err := p.build(t, ctx, run.Options{Only: []string{"dataset.pub"}}); err == nil ||
		!strings.Contains(err.Error(), "ckpt push") {
		t.Errorf("--only a publishing step without Push: %v", err)
	}
	for i := range 2 {
		res, err := p.build(t, ctx, run.Options{Push: true})
		if err != nil {
			t.Fatalf("push %d: %v (its path is written, not read)", i, err)
		}
		if s := res.Step("dataset.pub"); s == nil || s.Status != run.StatusOK || s.Cached {
			t.Errorf("push %d: publishing step %+v, want run again", i, s)
		}
	}
	entries, err := state.ReadLedger(state.For(p.dir).Ledger())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range entries[len(entries)-1].Steps {
		if got := s.Pushed != nil; got != (s.Address == "dataset.pub") {
			t.Errorf("ledger %s pushed = %+v", s.Address, s.Pushed)
		}
	}
}

func TestNovelGateHoldsBack(t *testing.T) {
	p := newProject(t, strings.Replace(novelSpec, "%s", "true", 1))
	res, err := p.build(t, context.Background(), run.Options{KeepGoing: true})
	if err == nil {
		t.Fatal("a failed gate passed the build")
	}
	if got := statuses(res); got != "check.judge=failed export.gguf=skipped model.base=ok" {
		t.Errorf("statuses %s", got)
	}
	if p.exec.request("export.gguf") != nil {
		t.Error("the gated export ran although its gate failed")
	}
}

func inputsOf(edges []plan.Edge) string {
	var out []string
	for _, e := range edges {
		s := e.Step + ":" + e.Attr
		if e.Gate {
			s += "(gate)"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}
