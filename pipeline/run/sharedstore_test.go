package run_test

import (
	"context"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// stepTagged is the artifact digest that project p's step tag of addr names.
func stepTagged(t *testing.T, p *project, addr string) string {
	t.Helper()
	desc, err := p.store.Resolve(context.Background(), state.For(p.dir).StepTag(addr))
	if err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	return desc.Digest.String()
}

// TestSharedStoreStepTags: two projects with the same step names share a
// store. Each project's step tag names its own artifact, the one its ledger
// says the step last built; a cached artifact (from the other project) that
// fails a strict step does not move it.
func TestSharedStoreStepTags(t *testing.T) {
	ctx := context.Background()
	a := newProject(t, `model "t" "m" { content = "a" }`)
	b := &project{dir: t.TempDir(), exec: a.exec, store: a.store}
	b.write(t, `
model "t" "m" {
  content    = "shared"
  finding    = "error"
  on_failure = "warn"
}`)
	ra, errA := a.build(t, ctx, run.Options{})
	rb, errB := b.build(t, ctx, run.Options{})
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	artA, artB := ra.Step("model.m").Artifact, rb.Step("model.m").Artifact
	if artA == artB || stepTagged(t, a, "model.m") != artA || stepTagged(t, b, "model.m") != artB {
		t.Fatalf("step tags a %s b %s, want a's %s and b's %s", stepTagged(t, a, "model.m"), stepTagged(t, b, "model.m"), artA, artB)
	}

	a.write(t, `
model "t" "m" {
  content = "shared"
  finding = "error"
}`)
	res, err := a.build(t, ctx, run.Options{})
	if err == nil || !res.Step("model.m").Cached || res.Step("model.m").Status != run.StatusFailed {
		t.Fatalf("strict step on b's cached artifact: %v %s", err, statuses(res))
	}
	entries, _ := state.ReadLedger(state.For(a.dir).Ledger())
	if last := run.LastSucceeded(entries, a.dir, "model.m"); last != artA || stepTagged(t, a, "model.m") != artA {
		t.Errorf("after the failed cached step: ledger says %s, step tag %s, want %s", last, stepTagged(t, a, "model.m"), artA)
	}
}
