package run_test

import (
	"context"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

func TestLedgerRecordsSteps(t *testing.T) {
	p := newProject(t, chain)
	res, err := p.build(t, context.Background(), run.Options{Version: "9.9", SpecPath: "spec/"})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := state.ReadLedger(state.For(p.dir).Ledger())
	if err != nil || len(entries) != 1 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	e := entries[0]
	if e.CkptVersion != "9.9" || e.Spec.Path != "spec/" || e.Spec.Digest == "" || e.Status != "ok" || len(e.Steps) != 5 {
		t.Errorf("entry %+v", e)
	}
	for _, s := range e.Steps {
		r := res.Step(s.Address)
		if s.CacheKey != r.CacheKey || s.Artifact != r.Artifact || s.Plugin.Name != "test" || s.Status != "ok" {
			t.Errorf("ledger step %+v, result %+v", s, r)
		}
	}
}
