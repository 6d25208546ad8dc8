package run

import (
	"sync"
	"time"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Event types.
const (
	EventBuildStarted  = "build_started"
	EventStepStarted   = "step_started"
	EventStepProgress  = "step_progress"
	EventStepLog       = "step_log"
	EventStepFinished  = "step_finished"
	EventBuildFinished = "build_finished"
)

// Event is one thing that happened in a build; --json prints one per line.
// Fields that do not apply to the event's type are empty.
type Event struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	// Step is the step's address (all step_* events).
	Step string `json:"step,omitempty"`
	// Steps lists the selected steps in plan order (build_started).
	Steps []string `json:"steps,omitempty"`
	// Plugin runs the step (step_started).
	Plugin   string `json:"plugin,omitempty"`
	CacheKey string `json:"cache_key,omitempty"`
	// Progress (step_progress).
	Done  int64  `json:"done,omitempty"`
	Total int64  `json:"total,omitempty"`
	Unit  string `json:"unit,omitempty"`
	// Message is a log line (step_log).
	Message    string             `json:"message,omitempty"`
	Diagnostic *specv1.Diagnostic `json:"diagnostic,omitempty"`
	// Range is the spec range of Diagnostic (step_log).
	Range *spec.Range `json:"range,omitempty"`
	// Outcome (step_finished, build_finished).
	Status     string `json:"status,omitempty"`
	Cached     bool   `json:"cached,omitempty"`
	DurationMS int64  `json:"duration_ms,omitempty"`
	Artifact   string `json:"artifact,omitempty"`
	Error      string `json:"error,omitempty"`
	// Counts (build_finished).
	Ran         int `json:"ran,omitempty"`
	CachedSteps int `json:"cached_steps,omitempty"`
	Failed      int `json:"failed,omitempty"`
	Ledger      int `json:"ledger,omitempty"`
}

// Sink receives a build's events. The engine serializes calls.
type Sink interface {
	Event(e Event)
}

type nopSink struct{}

func (nopSink) Event(Event) {}

// lockedSink serializes events from concurrent steps.
type lockedSink struct {
	mu      sync.Mutex
	sink    Sink
	now     func() time.Time
	secrets redactor
}

func (s *lockedSink) emit(e Event) {
	e = s.secrets.event(e)
	e.Time = s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink.Event(e)
}

// stepEvents adapts a step's Events (from its plugin) to the sink.
type stepEvents struct {
	sink *lockedSink
	step string
	st   *plan.Step // maps diagnostics' paths to spec ranges; may be nil
}

func (e *stepEvents) Log(msg string) {
	e.sink.emit(Event{Type: EventStepLog, Step: e.step, Message: msg})
}

func (e *stepEvents) Progress(done, total int64, unit string) {
	e.sink.emit(Event{Type: EventStepProgress, Step: e.step, Done: done, Total: total, Unit: unit})
}

// Diagnostic logs a diagnostic the plugin reported while running, on the
// spec range its attribute path names (the block's header without a path).
func (e *stepEvents) Diagnostic(d specv1.Diagnostic) {
	ev := Event{Type: EventStepLog, Step: e.step, Message: d.Summary, Diagnostic: &d}
	if e.st != nil {
		hd := e.st.Diagnostic(d)
		ev.Message, ev.Range = diagPosition(hd)+severityWord(hd)+": "+hd.Summary, spec.RangeOf(hd.Subject)
	}
	e.sink.emit(ev)
}
