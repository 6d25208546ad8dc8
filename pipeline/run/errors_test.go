package run_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/run"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestStepErrorKeepsCause checks that a step's failure reaches Build's
// caller as a *specv1.StepError naming the step and the phase once, with
// the executor's own error still reachable by errors.Is, while the result
// and the ledger keep the cause's message without the step's name.
func TestStepErrorKeepsCause(t *testing.T) {
	p := newProject(t, `model "t" "bad" { fail = true }`+"\n")
	res, err := p.build(t, context.Background(), run.Options{})
	var se *specv1.StepError
	if !errors.As(err, &se) || se.Step != "model.bad" || se.Op != specv1.OpRun {
		t.Fatalf("err = %v, want a StepError for model.bad in phase run", err)
	}
	if !errors.Is(err, errToldToFail) || !errors.Is(err, run.ErrBuildFailed) {
		t.Errorf("err = %v: the executor's error or ErrBuildFailed is lost", err)
	}
	if se.Error() != "model.bad: told to fail" {
		t.Errorf("message %q, want the step named once", se.Error())
	}
	r := res.Step("model.bad")
	if r.Status != run.StatusFailed || r.Error != "told to fail" || !errors.Is(r.Err(), errToldToFail) {
		t.Errorf("step result %s, error %q / %v", r.Status, r.Error, r.Err())
	}
}
