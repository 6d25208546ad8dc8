package run

import (
	"context"
	"io/fs"
	"runtime"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Store is the content store the engine keeps artifacts in
// (packaging/store.Store implements it). Resolve takes a name in the store's
// index or a manifest digest; an unknown name wraps errdef.ErrNotFound.
// CheckArtifact reports an artifact that cannot be read whole (a missing
// or corrupt manifest, config or layer).
type Store interface {
	PutDir(ctx context.Context, dir string, meta specv1.Metadata, annotations map[string]string) (ocispec.Descriptor, error)
	Tag(ctx context.Context, desc ocispec.Descriptor, name string) error
	Resolve(ctx context.Context, name string) (ocispec.Descriptor, error)
	Metadata(ctx context.Context, desc ocispec.Descriptor) (*specv1.Metadata, error)
	Materialize(ctx context.Context, desc ocispec.Descriptor, dir string) error
	CheckArtifact(ctx context.Context, desc ocispec.Descriptor) error
}

// KnownPutter is a Store whose PutDir can take the digests of files the
// build hashed already for cache keys (packaging/store.Store is one): known
// answers for a file whose identity (device, inode, size, mtime) is still
// the one hashed, so that an output referring to a user's file does not
// read its bytes a second time.
type KnownPutter interface {
	PutDirKnown(ctx context.Context, dir string, meta specv1.Metadata, annotations map[string]string,
		known func(path string, info fs.FileInfo) (digest.Digest, bool)) (ocispec.Descriptor, error)
}

// Options configures a build. The zero value runs every step but those
// that publish, NumCPU at a time, fail-fast, without events.
type Options struct {
	// StateDir is the state folder (ledger, hash cache, scratch); default
	// the spec folder's (state.For(Graph.Dir)).
	StateDir string
	// Parallelism bounds the steps running at once; <= 0 means NumCPU.
	Parallelism int
	// Only selects steps by address (KIND.NAME); their dependencies run
	// too (or come from the cache). Empty: every step.
	Only []string
	// Except removes steps, and every step that depends on them.
	Except []string
	// Push runs the steps whose component Publishes (ckpt push); otherwise
	// they are left out.
	Push bool
	// Transport is handed to every step run (RunRequest.Transport); nil:
	// the defaults.
	Transport *specv1.Transport
	// KeepGoing runs independent steps after a failure instead of
	// cancelling the build.
	KeepGoing bool
	// Sink receives the build's events; calls are serialized.
	Sink Sink
	// Version is ckpt's version, recorded in provenance and the ledger.
	Version string
	// SpecPath is the spec path as the user gave it, for the ledger.
	SpecPath string
	// NoLedger skips the ledger entry.
	NoLedger bool
	// Now returns the time; default time.Now.
	Now func() time.Time
	// Validator, when set, checks every step with its final config and
	// its inputs' metadata before the cache lookup: an error diagnostic
	// fails the step (nothing runs, nothing is cached).
	Validator plan.Validator
	// Cache, when set, is the remote cache: looked up after a local miss,
	// written after a step runs (but not with CacheReadOnly), and asked for
	// the blobs of inputs that only it holds.
	Cache         RemoteCache
	CacheReadOnly bool
}

func (o Options) withDefaults(g *plan.Graph) Options {
	if o.StateDir == "" {
		o.StateDir = state.For(g.Dir).Root()
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.NumCPU()
	}
	if o.Sink == nil {
		o.Sink = nopSink{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// state is the build's state folder.
func (o Options) state() state.Dir { return state.Open(o.StateDir) }

// Step statuses, in results, events and the ledger.
const (
	StatusOK        = "ok"
	StatusCached    = "cached"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
	StatusSkipped   = "skipped" // not run: a dependency failed or the build stopped
)

// StepResult is what became of one step.
type StepResult struct {
	Address  string        `json:"address"`
	Kind     string        `json:"kind"`
	Type     string        `json:"type"`
	Plugin   plan.PluginID `json:"plugin"`
	CacheKey string        `json:"cache_key,omitempty"`
	// Artifact is the manifest digest of the step's output in the store.
	Artifact string           `json:"artifact,omitempty"`
	Cached   bool             `json:"cached,omitempty"`
	Status   string           `json:"status"`
	Error    string           `json:"error,omitempty"`
	Duration time.Duration    `json:"duration"`
	Metadata *specv1.Metadata `json:"metadata,omitempty"`
	// Diagnostics are the Validator's answer about the step, on the spec
	// ranges their attribute paths name.
	Diagnostics hcl.Diagnostics `json:"-"`

	desc ocispec.Descriptor
	err  *specv1.StepError
}

// Err is a failed step's error, a *specv1.StepError whose cause keeps its
// type; nil unless Status is failed.
func (r *StepResult) Err() error {
	if r.err == nil {
		return nil
	}
	return r.err
}

// Result is the outcome of a build.
type Result struct {
	// Status is ok, failed or cancelled.
	Status   string        `json:"status"`
	Steps    []*StepResult `json:"steps"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Ledger is the number of the build's ledger entry (1-based), 0 if none.
	Ledger int `json:"ledger,omitempty"`
}

// Step returns the result of the step at address, or nil.
func (r *Result) Step(address string) *StepResult {
	for _, s := range r.Steps {
		if s.Address == address {
			return s
		}
	}
	return nil
}

// Counts returns how many steps ran, came from the cache and failed.
func (r *Result) Counts() (ran, cached, failed int) {
	for _, s := range r.Steps {
		switch s.Status {
		case StatusOK:
			ran++
		case StatusCached:
			cached++
		case StatusFailed:
			ran++
			failed++
		}
	}
	return ran, cached, failed
}
