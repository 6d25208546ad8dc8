// Package host finds, verifies and starts ckpt's plugin processes: the
// built-in plugin (the ckpt binary re-executed with the hidden __plugin
// command) and external binaries ckpt-plugin-NAME pinned by sha256 in
// .ckpt.lock.hcl. One process per plugin binary per Host, started lazily,
// reused across steps and killed by Close; plugins die with the host.
package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// BuiltinName is the plugin name of the components compiled into ckpt.
const BuiltinName = "builtin"

// ServeCommand is the hidden ckpt command that serves the built-in plugin.
const ServeCommand = "__plugin"

// Options configures a Host. The zero value serves no built-ins, looks for
// external plugins under the current folder and discards plugin stderr
// outside steps.
type Options struct {
	// Self is the ckpt executable; it serves the built-ins via "ckpt __plugin".
	Self string
	// Dir is the project folder holding .ckpt/plugins and .ckpt.lock.hcl.
	Dir string
	// Version is ckpt's version.
	Version string
	// Stderr receives warnings and plugin stderr lines written while no
	// step runs.
	Stderr io.Writer
	// StopGrace bounds how long a cancelled step's plugin may take to stop
	// before Execute returns anyway (the plugin is then killed when the host
	// closes). Zero means one minute.
	StopGrace time.Duration
	// TimeoutGrace bounds how long a step's plugin may take to stop after
	// the step's timeout; then its process is killed and the step fails
	// saying so. Zero means five seconds.
	TimeoutGrace time.Duration
	// RemoteMemo, when set, shares plugin descriptions and clean
	// validations with the other runners of a remote cache: looked up on a
	// miss in the state folder, written after a plugin answered unless
	// RemoteMemoReadOnly.
	RemoteMemo         RemoteMemo
	RemoteMemoReadOnly bool
	// Debug, when set, receives debug lines: one per plugin process
	// started ("plugin NAME started"), and the remote memo's hits and
	// misses.
	Debug io.Writer
}

// Component is a step type with the plugin binary that provides it.
type Component struct {
	specv1.Component
	Plugin  string
	Version string
	// Digest is the sha256 of the plugin binary, "sha256:...".
	Digest string
}

// Host runs plugins for one build. It is safe for concurrent use.
type Host struct {
	opts Options
	lock *Lock

	selfOnce sync.Once
	self     binary
	selfErr  error

	// stop is cancelled by Close: it aborts the handshakes under way.
	stop   context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	procs  map[string]*slot
	closed bool
}

// slot is one plugin's process: being started until ready is closed, then
// running (p) or failed (err). Concurrent callers for one plugin share it.
type slot struct {
	ready chan struct{}
	p     *proc
	err   error
}

// usable reports whether s is still starting or holds a live process.
func (s *slot) usable() bool {
	select {
	case <-s.ready:
		return s.err == nil && !s.p.client.Exited()
	default:
		return true
	}
}

// holds reports whether s has started p (a slot still starting holds none).
func (s *slot) holds(p *proc) bool {
	select {
	case <-s.ready:
		return s.p == p
	default:
		return false
	}
}

// New returns a Host for the project in o.Dir. It reads .ckpt.lock.hcl (a
// missing lock file is an empty lock) but starts no process.
func New(o Options) (*Host, error) {
	if o.Dir == "" {
		o.Dir = "."
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("plugin host: %w", err)
	}
	o.Dir = dir
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	lock, err := ReadLock(filepath.Join(dir, LockFile))
	if err != nil {
		return nil, err
	}
	stop, cancel := context.WithCancel(context.Background())
	return &Host{opts: o, lock: lock, stop: stop, cancel: cancel, procs: map[string]*slot{}}, nil
}

// Execute runs one step in plugin's process, starting it if needed, and
// returns the output metadata. Plugin stderr lines written while the step
// runs go to ev.Log. A crash fails the step with the last stderr lines.
func (h *Host) Execute(ctx context.Context, plugin string, req *specv1.RunRequest, ev specv1.Events) (*specv1.Metadata, error) {
	p, err := h.proc(ctx, plugin)
	if err != nil {
		return nil, err
	}
	id, ended := p.addSink(ev)
	defer p.removeSink(id)
	rctx := metadata.AppendToOutgoingContext(ctx, sdk.RunIDKey, strconv.Itoa(id))
	md, err := p.remote.Run(rctx, req, ev)
	var se *sdk.StepError
	if err == nil || errors.As(err, &se) {
		waitRunEnd(ctx, ended)
	}
	if err == nil {
		return md, nil
	}
	if se != nil {
		return nil, se
	}
	if dl, ok := ctx.Deadline(); ok && status.Code(err) == codes.DeadlineExceeded && time.Until(dl) < time.Second {
		<-ctx.Done() // gRPC may report the step's deadline before ctx does
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, h.stopTimedOut(p, ended)
	}
	if ctx.Err() != nil {
		p.waitStopped(ended, h.stopGrace())
		return nil, fmt.Errorf("cancelled: %w", context.Cause(ctx))
	}
	return nil, h.failure(p, "run", err)
}

// runEndWait bounds the wait for a run's end marker on stderr (a plugin not
// built with the SDK never writes one).
const runEndWait = 2 * time.Second

// waitRunEnd waits until the plugin's stderr has been read up to the run's
// end marker, so that every line it wrote during the run is in its log.
func waitRunEnd(ctx context.Context, ended <-chan struct{}) {
	t := time.NewTimer(runEndWait)
	defer t.Stop()
	select {
	case <-ended:
	case <-t.C:
	case <-ctx.Done():
	}
}

// failure turns a transport error of call op into a crash report when the
// process died, and forgets the process so that a later call starts a new
// one. Neither names the step: the scheduler does.
func (h *Host) failure(p *proc, op string, err error) error {
	crashed := p.client.Exited() || (status.Code(err) == codes.Unavailable && p.waitExited())
	if !crashed {
		return fmt.Errorf("plugin %s: %w", p.name, err)
	}
	h.mu.Lock()
	if s, ok := h.procs[p.name]; ok && s.holds(p) {
		delete(h.procs, p.name)
	}
	h.mu.Unlock()
	return &CrashError{Plugin: p.name, During: op, Tail: p.tail(), Err: err}
}

// Close kills every plugin process the host started; it aborts the starts
// under way and waits for them.
func (h *Host) Close() error {
	h.mu.Lock()
	slots := h.procs
	h.procs = map[string]*slot{}
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	var wg sync.WaitGroup
	for _, s := range slots {
		wg.Go(func() {
			<-s.ready
			if s.err == nil {
				s.p.kill()
			}
		})
	}
	wg.Wait()
	return nil
}

// proc returns plugin's running process, starting it when needed. Each
// plugin starts outside the host's lock, so that plugins start in
// parallel; concurrent callers for the same plugin share one start (one
// process per binary). A caller whose ctx ends stops waiting at once; the
// start it began is then aborted, and callers still waiting start again.
func (h *Host) proc(ctx context.Context, plugin string) (*proc, error) {
	for {
		s, starter, err := h.slot(plugin)
		if err != nil {
			return nil, err
		}
		if starter {
			h.launch(ctx, plugin, s)
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("start plugin %s: %w", plugin, context.Cause(ctx))
		}
		if s.err == nil || starter || ctx.Err() != nil || !errors.Is(s.err, errStartAborted) {
			return s.p, s.err
		}
	}
}

// slot returns plugin's slot and whether the caller must start it.
func (h *Host) slot(plugin string) (*slot, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false, fmt.Errorf("plugin %s: host is closed", plugin)
	}
	if s, ok := h.procs[plugin]; ok && s.usable() {
		return s, false, nil
	}
	s := &slot{ready: make(chan struct{})}
	h.procs[plugin] = s
	return s, true, nil
}

// launch verifies and starts plugin's binary into s. A failed start is
// forgotten, so that a later call tries again.
func (h *Host) launch(ctx context.Context, plugin string, s *slot) {
	defer close(s.ready)
	bin, err := h.binary(plugin)
	if err == nil {
		s.p, err = start(ctx, h.stop, bin, h.opts.Stderr)
	}
	if err == nil {
		h.debugf("plugin %s started (%s)", plugin, bin.path)
		return
	}
	s.err = err
	h.mu.Lock()
	if h.procs[plugin] == s {
		delete(h.procs, plugin)
	}
	h.mu.Unlock()
}

// stopTimedOut waits TimeoutGrace for a timed-out run to stop; a plugin
// still running then is killed (with any other step it runs) and forgotten,
// so that a later step starts a new process. The error wraps
// context.DeadlineExceeded only when the plugin stopped by itself.
func (h *Host) stopTimedOut(p *proc, ended <-chan struct{}) error {
	grace := h.opts.TimeoutGrace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	p.waitStopped(ended, grace)
	select {
	case <-ended:
		return fmt.Errorf("stopped after the timeout: %w", context.DeadlineExceeded)
	default:
		if p.client.Exited() {
			return fmt.Errorf("stopped after the timeout: %w", context.DeadlineExceeded)
		}
	}
	h.mu.Lock()
	if s, ok := h.procs[p.name]; ok && s.holds(p) {
		delete(h.procs, p.name)
	}
	h.mu.Unlock()
	p.kill()
	return fmt.Errorf("plugin %s ignored the cancellation for %s and was killed", p.name, grace)
}

func (h *Host) stopGrace() time.Duration {
	if h.opts.StopGrace > 0 {
		return h.opts.StopGrace
	}
	return time.Minute
}
