package run_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// validator is a plugin's Validate with three rules: a note ending in
// "-latest" is an error, an input whose "note" output is "forbidden" is an
// error on the attribute that references it, content "warn" is a warning.
// It records the requests it got.
type validator struct {
	mu   sync.Mutex
	reqs map[string]*specv1.ValidateRequest
	err  error
}

func (v *validator) Validate(_ context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	v.mu.Lock()
	if v.reqs == nil {
		v.reqs = map[string]*specv1.ValidateRequest{}
	}
	v.reqs[req.Step] = req
	v.mu.Unlock()
	if v.err != nil {
		return nil, v.err
	}
	var cfg stepConfig
	if err := json.Unmarshal(req.Config, &cfg); err != nil {
		return nil, err
	}
	var ds []specv1.Diagnostic
	if strings.HasSuffix(cfg.Note, "-latest") {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: fmt.Sprintf("note %q is a moving alias", cfg.Note), Path: []string{"note"}})
	}
	for _, in := range req.Inputs {
		if in.Dir != "" {
			ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "validation got a folder"})
		}
		if in.Metadata.Outputs["note"] == "forbidden" {
			ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: in.Step + " is forbidden", Path: []string{in.Attr}})
		}
	}
	if cfg.Content == "warn" {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityWarning, Summary: "content is a warning", Path: []string{"content"}})
	}
	return ds, nil
}

func (v *validator) request(step string) *specv1.ValidateRequest {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.reqs[step]
}

// validationSpec: check.pending is pending (its note depends on
// model.base's output) and resolves to a "-latest" note; check.meta is
// fully known, but its target's metadata is refused.
const validationSpec = `model "t" "base" {
  note = "nightly"
}
model "t" "bad" {
  note = "forbidden"
}
check "t" "pending" {
  target = model.base
  note   = "${model.base.note}-latest"
}
check "t" "meta" {
  target  = model.bad
  content = "x"
}
check "t" "warned" {
  target  = model.base
  content = "warn"
}
`

func TestValidateBeforeRun(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, validationSpec)
	v, ev := &validator{}, &events{}
	res, err := p.build(t, ctx, run.Options{Sink: ev, Validator: v, KeepGoing: true, NoLedger: true})
	if !errors.Is(err, run.ErrBuildFailed) {
		t.Fatalf("err = %v, want ErrBuildFailed", err)
	}
	file := filepath.Join(p.dir, "main.ckpt.hcl")
	for _, tc := range []struct {
		step, status, diag string
		line, col, endCol  int
	}{
		{"check.pending", run.StatusFailed, `note "nightly-latest" is a moving alias`, 9, 12, 39},
		{"check.meta", run.StatusFailed, "model.bad is forbidden", 12, 13, 22},
		{"check.warned", run.StatusOK, "content is a warning", 17, 13, 19},
	} {
		r := res.Step(tc.step)
		if r.Status != tc.status {
			t.Errorf("%s: status %s (%s), want %s", tc.step, r.Status, r.Error, tc.status)
		}
		pos := fmt.Sprintf("%s:%d:%d: ", file, tc.line, tc.col)
		if tc.status == run.StatusFailed {
			if r.Error != "invalid configuration: "+pos+tc.diag || r.CacheKey != "" || r.Artifact != "" {
				t.Errorf("%s: error %q, key %q, artifact %q", tc.step, r.Error, r.CacheKey, r.Artifact)
			}
			if p.exec.request(tc.step) != nil {
				t.Errorf("%s ran", tc.step)
			}
		}
		if len(r.Diagnostics) != 1 || r.Diagnostics[0].Summary != tc.diag {
			t.Fatalf("%s: diagnostics %v", tc.step, r.Diagnostics)
		}
		logged := validationLog(ev, tc.step)
		if logged == nil || logged.Range == nil || logged.Diagnostic == nil || !strings.HasPrefix(logged.Message, pos) {
			t.Fatalf("%s: no step_log event with the diagnostic's range: %+v", tc.step, logged)
		}
		rg := logged.Range
		if got := fmt.Sprintf("%s %d:%d-%d:%d", rg.Filename, rg.Start.Line, rg.Start.Column, rg.End.Line, rg.End.Column); got != fmt.Sprintf("%s %d:%d-%d:%d", file, tc.line, tc.col, tc.line, tc.endCol) {
			t.Errorf("%s: range %s", tc.step, got)
		}
	}
	if got := string(v.request("check.pending").Config); !strings.Contains(got, `"nightly-latest"`) {
		t.Errorf("check.pending validated with config %s, want the resolved one", got)
	}
	if in := v.request("check.meta").Inputs; len(in) != 1 || in[0].Metadata.ID != "model.bad" || in[0].Digest == "" {
		t.Errorf("check.meta validated with inputs %+v", in)
	}
	if ran := p.exec.calls.Load(); ran != 3 {
		t.Errorf("%d steps ran, want 3 (the models and check.warned)", ran)
	}
	for _, e := range ev.ev {
		if e.Type == run.EventStepStarted && (e.Step == "check.pending" || e.Step == "check.meta") {
			t.Errorf("step_started for %s", e.Step)
		}
	}
}

// validationLog is the first step_log event of step with a spec range.
func validationLog(ev *events, step string) *run.Event {
	for _, e := range ev.ev {
		if e.Type == run.EventStepLog && e.Step == step && e.Range != nil {
			return &e
		}
	}
	return nil
}

func TestValidateFailFastCachesNothing(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, validationSpec)
	res, err := p.build(t, ctx, run.Options{Validator: &validator{}, Only: []string{"check.pending"}, NoLedger: true})
	if !errors.Is(err, run.ErrBuildFailed) || res.Step("check.pending").Status != run.StatusFailed {
		t.Fatalf("err = %v, statuses %s", err, statuses(res))
	}
	// Without the validator the step runs: it was not cached as failed.
	p2 := &project{dir: p.dir, store: p.store, exec: newExecutor()}
	res, err = p2.build(t, ctx, run.Options{Only: []string{"check.pending"}, NoLedger: true})
	if err != nil || res.Step("check.pending").Status != run.StatusOK || p2.exec.request("check.pending") == nil {
		t.Fatalf("err = %v, statuses %s", err, statuses(res))
	}
}

func TestValidateCachedRebuild(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, chain)
	if _, err := p.build(t, ctx, run.Options{Validator: &validator{}, NoLedger: true}); err != nil {
		t.Fatal(err)
	}
	calls := p.exec.calls.Load()
	v := &validator{}
	res, err := p.build(t, ctx, run.Options{Validator: v, NoLedger: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, cached, _ := res.Counts(); cached != 5 || p.exec.calls.Load() != calls {
		t.Errorf("rebuild: %s, %d runs", statuses(res), p.exec.calls.Load()-calls)
	}
	// Cached steps are validated too, with their inputs' metadata.
	if in := v.request("bundle.b").Inputs; len(in) != 2 || in[0].Metadata.ID == "" {
		t.Errorf("bundle.b validated with inputs %+v", in)
	}
}

func TestValidateError(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, `model "t" "base" { content = "x" }`)
	res, err := p.build(t, ctx, run.Options{Validator: &validator{err: errors.New("plugin exited")}, NoLedger: true})
	r := res.Step("model.base")
	if !errors.Is(err, run.ErrBuildFailed) || r.Error != "validate with plugin test: plugin exited" || p.exec.calls.Load() != 0 {
		t.Errorf("err = %v, step error %q, %d runs", err, r.Error, p.exec.calls.Load())
	}
}

// TestRunDiagnosticRange checks that a diagnostic a plugin reports while
// running is logged on the spec range its path names.
func TestRunDiagnosticRange(t *testing.T) {
	p := newProject(t, "model \"t\" \"base\" {\n  content = \"x\"\n  diag    = \"look here\"\n}\n")
	ev := &events{}
	if _, err := p.build(t, context.Background(), run.Options{Sink: ev, NoLedger: true}); err != nil {
		t.Fatal(err)
	}
	logged := validationLog(ev, "model.base")
	want := filepath.Join(p.dir, "main.ckpt.hcl") + ":3:13: warning: look here"
	if logged == nil || logged.Message != want || logged.Range.End.Column != 24 {
		t.Errorf("step_log %+v, want %q", logged, want)
	}
}

// TestMissingPathFailsAtItsAttribute: a path still missing when its step
// runs fails the step before the plugin is called, with an error at the
// attribute; a step created by then runs.
func TestMissingPathFailsAtItsAttribute(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, `model "t" "gone" {
  note = "x"
  path = "./weights"
}
model "t" "here" {
  path = "./present"
}
`)
	os.Mkdir(filepath.Join(p.dir, "present"), 0o755)
	ev := &events{}
	res, err := p.build(t, ctx, run.Options{Sink: ev, KeepGoing: true, NoLedger: true})
	if !errors.Is(err, run.ErrBuildFailed) {
		t.Fatalf("err = %v, want ErrBuildFailed", err)
	}
	r := res.Step("model.gone")
	file := filepath.Join(p.dir, "main.ckpt.hcl")
	want := fmt.Sprintf("%s:3:10: path %s: file does not exist", file, filepath.Join(p.dir, "weights"))
	if r.Status != run.StatusFailed || r.Error != want || r.Artifact != "" {
		t.Fatalf("model.gone: %s %q, want failed %q", r.Status, r.Error, want)
	}
	if len(r.Diagnostics) != 1 || r.Diagnostics[0].Summary != "Path not found" || r.Diagnostics[0].Subject.Start.Line != 3 {
		t.Fatalf("diagnostics %v", r.Diagnostics)
	}
	if p.exec.request("model.gone") != nil {
		t.Error("model.gone ran")
	}
	if logged := validationLog(ev, "model.gone"); logged == nil || logged.Range.Start.Line != 3 {
		t.Errorf("no step_log with the path's range: %+v", logged)
	}
	if r := res.Step("model.here"); r.Status != run.StatusOK {
		t.Errorf("model.here: %s %s", r.Status, r.Error)
	}
}
