package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/state"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// runStep validates the step, computes its cache key and either takes its
// artifact from the store or runs it.
func (e *engine) runStep(ctx context.Context, j *job) *StepResult {
	start := e.o.Now()
	r := newResult(j.step)
	defer func() { r.Duration = e.o.Now().Sub(start) }()
	if j.err != nil {
		return fail(r, specv1.OpPrepare, j.err)
	}
	if err := e.checkPaths(j, r); err != nil {
		return fail(r, specv1.OpValidate, err)
	}
	if err := e.validate(ctx, j, r); err != nil {
		return e.failOrCancel(ctx, r, specv1.OpValidate, err)
	}
	var resolved []byte
	if j.resolved {
		resolved = j.config
	}
	note := func(m string) { e.sink.emit(Event{Type: EventStepLog, Step: r.Address, Message: m}) }
	key, err := cacheKey(ctx, j.step, resolved, j.inputs, e.files, note)
	if err != nil {
		return e.failOrCancel(ctx, r, specv1.OpCache, err)
	}
	r.CacheKey = key
	if !j.step.Component.Capabilities.Publishes { // a publishing step always runs
		if ok, err := e.cached(ctx, r); ok || err != nil {
			if err != nil {
				return e.failOrCancel(ctx, r, specv1.OpCache, err)
			}
			return r
		}
	}
	if err := e.addBaseline(ctx, j); err != nil {
		return e.failOrCancel(ctx, r, specv1.OpPrepare, err)
	}
	return e.execute(ctx, j, r)
}

// fail marks r failed in phase op (a specv1.Op constant) with err, which
// names no step: the engine is the one layer that adds it (Result.Err).
func fail(r *StepResult, op string, err error) *StepResult {
	r.Status, r.Error = StatusFailed, err.Error()
	r.err = &specv1.StepError{Step: r.Address, Op: op, Err: err}
	return r
}

func (e *engine) failOrCancel(ctx context.Context, r *StepResult, op string, err error) *StepResult {
	if ctx.Err() != nil {
		r.Status, r.Error = StatusCancelled, "cancelled"
		return r
	}
	return fail(r, op, err)
}

// fromCache fills r from the store when its cache key is there and its
// artifact can be read whole (else it is a miss), and, when the step
// passes, points the project's step tag at it. Findings are judged again:
// the cache key does not cover on_failure, so a cached artifact with error
// findings (made by a step with on_failure = "warn", perhaps in another
// project sharing the store) fails a strict step.
func (e *engine) fromCache(ctx context.Context, r *StepResult) (bool, error) {
	desc, err := e.st.Resolve(ctx, state.CacheTag(r.CacheKey))
	if errors.Is(err, errdef.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	meta, err := e.st.Metadata(ctx, desc)
	if err == nil {
		err = e.st.CheckArtifact(ctx, desc)
	}
	if err != nil { // unreadable: a miss, and the rebuild's writes repair the store
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if e.o.Cache != nil && errors.Is(err, errdef.ErrNotFound) {
			return false, nil // layers only in the remote cache: looked up there
		}
		e.sink.emit(Event{Type: EventStepLog, Step: r.Address, Message: fmt.Sprintf("cached artifact %s is damaged (%v); rebuilding", desc.Digest, err)})
		return false, nil
	}
	return e.hit(ctx, r, desc, meta)
}

// hit takes the cached artifact desc as the step's result.
func (e *engine) hit(ctx context.Context, r *StepResult, desc ocispec.Descriptor, meta *specv1.Metadata) (bool, error) {
	r.desc, r.Artifact, r.Metadata = desc, desc.Digest.String(), meta
	r.Status, r.Cached = StatusCached, true
	if ferr := findingsError(meta.Findings); ferr != nil && e.onFailure(r.Address) != "warn" {
		fail(r, specv1.OpCache, ferr)
		return true, nil
	}
	tag := e.o.state().StepTag(r.Address)
	if cur, err := e.st.Resolve(ctx, tag); err != nil || cur.Digest != desc.Digest {
		if err := e.st.Tag(ctx, desc, tag); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (e *engine) onFailure(addr string) string {
	if s := e.g.Step(addr); s != nil {
		return s.OnFailure
	}
	return ""
}

// addBaseline adds the input "baseline" to a step whose Baseline attribute
// says "ledger:previous" (specv1.BaselinePrevious): the step's artifact from
// the latest ledger entry of this spec where it succeeded. It is not part of
// the cache key, so that an unchanged step stays cached.
func (e *engine) addBaseline(ctx context.Context, j *job) error {
	attr := j.step.Component.Capabilities.Baseline
	if attr == "" {
		return nil
	}
	var cfg map[string]any
	if json.Unmarshal(j.config, &cfg) != nil || cfg[attr] != specv1.BaselinePrevious {
		return nil
	}
	e.ledgerOnce.Do(func() { e.ledger, e.ledgerErr = state.ReadLedger(e.o.state().Ledger()) })
	if e.ledgerErr != nil {
		return fmt.Errorf("baseline: %w", e.ledgerErr)
	}
	dg := LastSucceeded(e.ledger, e.g.Dir, j.step.Address)
	if dg == "" {
		return nil
	}
	desc, err := e.st.Resolve(ctx, dg)
	if errors.Is(err, errdef.ErrNotFound) {
		return nil // the ledger outlived the store
	}
	if err != nil {
		return fmt.Errorf("baseline %s: %w", dg, err)
	}
	meta, err := e.st.Metadata(ctx, desc)
	if err != nil {
		return fmt.Errorf("baseline %s: %w", dg, err)
	}
	j.inputs = append(j.inputs, input{Input: specv1.Input{Step: j.step.Address, Attr: specv1.AttrBaseline, Digest: dg, Metadata: *meta}, desc: desc})
	return nil
}

// execute runs the step in its plugin with fresh folders under
// StateDir/tmp, then stores its output.
func (e *engine) execute(ctx context.Context, j *job, r *StepResult) *StepResult {
	dir, err := e.tempDir(j.step.Address)
	if err != nil {
		return fail(r, specv1.OpPrepare, err)
	}
	defer removeAll(dir)
	req, err := e.request(ctx, j, dir)
	if err != nil {
		return e.failOrCancel(ctx, r, specv1.OpPrepare, err)
	}
	sctx, cancel, err := withTimeout(ctx, j.step.Timeout)
	if err != nil {
		return fail(r, specv1.OpPrepare, err)
	}
	defer cancel()
	e.sink.emit(Event{Type: EventStepStarted, Step: r.Address, Plugin: r.Plugin.Name, CacheKey: r.CacheKey})
	meta, err := e.ex.Execute(sctx, r.Plugin.Name, req, &stepEvents{sink: e.sink, step: r.Address, st: j.step})
	switch {
	case ctx.Err() != nil:
		r.Status, r.Error = StatusCancelled, "cancelled"
		return r
	case errors.Is(sctx.Err(), context.DeadlineExceeded):
		return fail(r, specv1.OpRun, timedOut(j.step.Timeout, err))
	case err != nil:
		return fail(r, specv1.OpRun, err)
	case meta == nil:
		return fail(r, specv1.OpRun, errors.New("the plugin returned no metadata"))
	}
	return e.store(ctx, j, r, meta, req.OutputDir)
}

// store moves the step's output into the store and, when the step passed,
// names it by its cache key and its address.
func (e *engine) store(ctx context.Context, j *job, r *StepResult, meta *specv1.Metadata, out string) *StepResult {
	if meta.Kind == "" {
		meta.Kind = j.step.Kind
	}
	e.sink.secrets.metadata(meta)
	ann := map[string]string{specv1.AnnotationStep: r.Address}
	var desc ocispec.Descriptor
	var err error
	if kp, ok := e.st.(KnownPutter); ok {
		desc, err = kp.PutDirKnown(ctx, out, *meta, ann, e.files.known)
	} else {
		desc, err = e.st.PutDir(ctx, out, *meta, ann)
	}
	if err != nil {
		return e.failOrCancel(ctx, r, specv1.OpStore, fmt.Errorf("store output: %w", err))
	}
	r.desc, r.Artifact, r.Metadata = desc, desc.Digest.String(), meta
	if ferr := findingsError(meta.Findings); ferr != nil && j.step.OnFailure != "warn" {
		return fail(r, specv1.OpRun, ferr)
	}
	if ctx.Err() != nil {
		r.Status, r.Error = StatusCancelled, "cancelled"
		return r
	}
	if !j.step.Component.Capabilities.Publishes {
		if err := e.st.Tag(ctx, desc, state.CacheTag(r.CacheKey)); err != nil {
			return e.failOrCancel(ctx, r, specv1.OpStore, err)
		}
	}
	if err := e.st.Tag(ctx, desc, e.o.state().StepTag(r.Address)); err != nil {
		return e.failOrCancel(ctx, r, specv1.OpStore, err)
	}
	if !j.step.Component.Capabilities.Publishes {
		e.saveRemote(ctx, r)
	}
	r.Status = StatusOK
	return r
}

// findingsError summarizes the findings of severity error, or returns nil.
func findingsError(fs []specv1.Finding) error {
	var msgs []string
	for _, f := range fs {
		if f.Severity == specv1.SeverityError {
			m := f.Code + ": " + f.Message
			if f.File != "" {
				m = f.File + ": " + m
			}
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%d error finding(s): %s", len(msgs), strings.Join(msgs, "; "))
}

// timedOut is a step's timeout failure; what the executor did to a plugin
// that kept running (err not wrapping DeadlineExceeded) is part of it.
func timedOut(timeout string, err error) error {
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s", timeout)
	}
	return fmt.Errorf("timed out after %s: %w", timeout, err)
}

func withTimeout(ctx context.Context, timeout string) (context.Context, context.CancelFunc, error) {
	if timeout == "" {
		ctx, cancel := context.WithCancel(ctx)
		return ctx, cancel, nil
	}
	d, err := time.ParseDuration(timeout)
	if err != nil || d <= 0 {
		return nil, nil, fmt.Errorf("timeout %q: want a positive Go duration such as \"30m\"", timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, nil
}

// tempDir makes a fresh folder for one step run in the build's folder
// under StateDir/tmp, made by the first step that runs.
func (e *engine) tempDir(addr string) (string, error) {
	e.tmpOnce.Do(func() { e.tmp, e.tmpErr = openTmpArea(e.o.state().Tmp()) })
	if e.tmpErr != nil {
		return "", e.tmpErr
	}
	return e.tmp.stepDir(addr)
}

// request materializes the inputs read-only under dir/in and makes empty
// dir/out and dir/scratch folders.
func (e *engine) request(ctx context.Context, j *job, dir string) (*specv1.RunRequest, error) {
	s := j.step
	req := &specv1.RunRequest{Kind: s.Kind, Type: s.Type, Step: s.Address, Config: j.config,
		OutputDir: filepath.Join(dir, "out"), ScratchDir: filepath.Join(dir, "scratch"), SpecDir: e.g.Dir, Build: j.build,
		Transport: e.o.Transport}
	for _, d := range []string{req.OutputDir, req.ScratchDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, err
		}
	}
	for i, in := range j.inputs {
		in.Dir = filepath.Join(dir, "in", fmt.Sprintf("%02d-%s", i, in.Step))
		if err := e.materialize(ctx, j, &in); err != nil {
			return nil, fmt.Errorf("input %s (%s): %w", in.Step, in.Digest, err)
		}
		req.Inputs = append(req.Inputs, in.Input)
	}
	return req, nil
}

// removeAll removes dir even when a plugin left read-only folders in it.
func removeAll(dir string) {
	if os.RemoveAll(dir) == nil {
		return
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
}
