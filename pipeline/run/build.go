package run

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// ErrBuildFailed is wrapped by Build's error when a step failed.
var ErrBuildFailed = errors.New("build failed")

// engine is one build in progress.
type engine struct {
	g    *plan.Graph
	ex   Executor
	st   Store
	o    Options
	sink *lockedSink

	ledgerOnce sync.Once
	ledger     []state.Entry
	ledgerErr  error

	tmpOnce sync.Once
	tmp     *tmpArea
	tmpErr  error

	files *hashCache // the sha256 of files that path fingerprints read
}

// input is one input of a step: the specv1.Input handed to the plugin plus
// the store descriptor to materialize. keyed inputs enter the cache key.
type input struct {
	specv1.Input
	desc  ocispec.Descriptor
	keyed bool
}

// job is a step ready to run, prepared by the scheduler.
type job struct {
	step     *plan.Step
	config   []byte // resolved config (nil: step.Config)
	resolved bool
	inputs   []input
	build    *specv1.BuildInfo
	err      error // preparing failed
}

// Build runs the steps of g selected by o: at most o.Parallelism at once,
// each as soon as its dependencies are done. A step whose cache key names an
// artifact in st is not run. Build returns the result even when the build
// failed (then with an error wrapping ErrBuildFailed) or was cancelled
// (ctx.Err()); it returns a nil result only when nothing was selected.
func Build(ctx context.Context, g *plan.Graph, ex Executor, st Store, o Options) (*Result, error) {
	o = o.withDefaults(g)
	steps, err := selectSteps(g, o)
	if err != nil {
		return nil, err
	}
	e := &engine{g: g, ex: ex, st: st, o: o, sink: &lockedSink{sink: o.Sink, now: o.Now, secrets: redactor(g.Secrets())},
		files: loadHashCache(o.state().Hashes(), time.Now)}
	defer e.files.save() // best effort: a cache not saved costs one more hash
	sweepTmp(o.state().Tmp())
	res := &Result{Started: o.Now()}
	e.sink.emit(Event{Type: EventBuildStarted, Steps: stepAddrs(steps)})
	res.Steps = e.schedule(ctx, steps)
	if e.tmp != nil {
		e.tmp.close()
	}
	res.Duration = o.Now().Sub(res.Started)
	res.Status = buildStatus(ctx, res)
	var lerr error
	if !o.NoLedger {
		res.Ledger, lerr = state.AppendLedger(context.WithoutCancel(ctx), o.state().Ledger(), entryFor(g, o, res))
	}
	ran, cached, failed := res.Counts()
	e.sink.emit(Event{Type: EventBuildFinished, Status: res.Status, DurationMS: res.Duration.Milliseconds(),
		Ran: ran, CachedSteps: cached, Failed: failed, Ledger: res.Ledger})
	return res, errors.Join(buildError(ctx, res), lerr)
}

func stepAddrs(steps []*plan.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Address
	}
	return out
}

func buildStatus(ctx context.Context, res *Result) string {
	for _, s := range res.Steps {
		if s.Status == StatusFailed {
			return StatusFailed
		}
	}
	if ctx.Err() != nil {
		return StatusCancelled
	}
	for _, s := range res.Steps {
		if s.Status != StatusOK && s.Status != StatusCached {
			return StatusFailed
		}
	}
	return StatusOK
}

func buildError(ctx context.Context, res *Result) error {
	var errs []error
	for _, s := range res.Steps {
		if s.Status == StatusFailed {
			errs = append(errs, s.Err())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrBuildFailed, errors.Join(errs...))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("build cancelled: %w", err)
	}
	if res.Status != StatusOK {
		return ErrBuildFailed
	}
	return nil
}

// schedule runs steps (in plan order) and returns their results in the
// same order.
func (e *engine) schedule(parent context.Context, steps []*plan.Step) []*StepResult {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	done := map[string]*StepResult{}
	finished := make(chan *StepResult)
	pending := append([]*plan.Step(nil), steps...)
	running, stopping := 0, false
	for {
		if ctx.Err() != nil {
			stopping = true
		}
		if !stopping {
			pending = e.startReady(ctx, pending, done, &running, finished)
		}
		if running == 0 {
			break
		}
		r := <-finished
		running--
		done[r.Address] = r
		e.finish(r)
		if r.Status == StatusFailed && !e.o.KeepGoing {
			stopping = true
			cancel()
		}
	}
	for _, s := range pending {
		r := newResult(s)
		r.Status, r.Error = StatusSkipped, "not started: the build stopped"
		done[s.Address] = r
		e.finish(r)
	}
	out := make([]*StepResult, len(steps))
	for i, s := range steps {
		out[i] = done[s.Address]
	}
	return out
}

// startReady starts every pending step whose dependencies are done, within
// the parallelism bound, and returns the steps still pending. A step whose
// dependency did not succeed is skipped.
func (e *engine) startReady(ctx context.Context, pending []*plan.Step, done map[string]*StepResult, running *int, finished chan<- *StepResult) []*plan.Step {
	var rest []*plan.Step
	for _, s := range pending {
		ready, blocker := readiness(s, done)
		switch {
		case blocker != "":
			r := newResult(s)
			r.Status, r.Error = StatusSkipped, fmt.Sprintf("not started: %s did not succeed", blocker)
			done[s.Address] = r
			e.finish(r)
		case ready && *running < e.o.Parallelism:
			*running++
			j := e.prepare(s, done)
			go func() { finished <- e.runStep(ctx, j) }()
		default:
			rest = append(rest, s)
		}
	}
	return rest
}

// readiness reports whether every dependency of s succeeded, or names one
// that did not.
func readiness(s *plan.Step, done map[string]*StepResult) (bool, string) {
	ready := true
	for _, in := range s.Inputs {
		r, ok := done[in.Step]
		if !ok {
			ready = false
			continue
		}
		if r.Status != StatusOK && r.Status != StatusCached {
			return false, in.Step
		}
	}
	return ready, ""
}

func newResult(s *plan.Step) *StepResult {
	return &StepResult{Address: s.Address, Kind: s.Kind, Type: s.Type, Plugin: s.Component.Plugin}
}

func (e *engine) finish(r *StepResult) {
	e.sink.secrets.result(r)
	e.sink.emit(Event{Type: EventStepFinished, Step: r.Address, Status: r.Status, Cached: r.Cached,
		CacheKey: r.CacheKey, DurationMS: r.Duration.Milliseconds(), Artifact: r.Artifact, Error: r.Error})
}
