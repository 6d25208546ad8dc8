package run

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// validate asks the validator about j's step with its final config and
// its inputs' metadata (no folders). Every diagnostic is kept on r, mapped
// to the spec range its attribute path names, and emitted as a step_log
// event with that range; error diagnostics make validate return an error
// that names their positions.
func (e *engine) validate(ctx context.Context, j *job, r *StepResult) error {
	if e.o.Validator == nil {
		return nil
	}
	s := j.step
	req := &specv1.ValidateRequest{Kind: s.Kind, Type: s.Type, Step: s.Address, Config: j.config}
	for _, in := range j.inputs {
		in.Dir = "" // metadata only: nothing is materialized before the step runs
		req.Inputs = append(req.Inputs, in.Input)
	}
	ds, err := e.o.Validator.Validate(ctx, s.Component, req)
	if err != nil {
		return fmt.Errorf("validate with plugin %s: %w", s.Component.Plugin.Name, err)
	}
	var errs []string
	for _, d := range ds {
		hd := s.Diagnostic(d)
		r.Diagnostics = append(r.Diagnostics, hd)
		where := diagPosition(hd)
		e.sink.emit(Event{Type: EventStepLog, Step: r.Address, Message: where + severityWord(hd) + ": " + hd.Summary,
			Diagnostic: &d, Range: spec.RangeOf(hd.Subject)})
		if hd.Severity == hcl.DiagError {
			errs = append(errs, where+hd.Summary)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration: %s", strings.Join(errs, "; "))
	}
	return nil
}

// checkPaths fails the step when a path it reads does not exist by the time
// it runs (plan time only warns: an earlier step may create it), with an
// error diagnostic at the path's attribute. A step that Publishes writes
// its paths.
func (e *engine) checkPaths(j *job, r *StepResult) error {
	s := j.step
	if s.Component.Capabilities.Publishes {
		return nil
	}
	for _, p := range s.Paths {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		rng := s.PathSubject(p)
		hd := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Path not found",
			Detail: fmt.Sprintf("%s does not exist; %s reads it.", p, s.Address), Subject: &rng}
		r.Diagnostics = append(r.Diagnostics, hd)
		where := diagPosition(hd)
		e.sink.emit(Event{Type: EventStepLog, Step: r.Address, Message: where + "error: " + hd.Summary + ": " + p,
			Range: spec.RangeOf(hd.Subject)})
		return fmt.Errorf("%s%w", where, &fs.PathError{Op: "path", Path: p, Err: fs.ErrNotExist})
	}
	return nil
}

// diagPosition is "file:line:col: " for a diagnostic with a range.
func diagPosition(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
}

func severityWord(d *hcl.Diagnostic) string {
	if d.Severity == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}
