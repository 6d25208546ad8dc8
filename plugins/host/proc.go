package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// tailLines is how many stderr lines a crash report carries.
const tailLines = 40

// proc is one running plugin process.
type proc struct {
	name   string
	client *plugin.Client
	remote *sdk.Remote
	out    *sink
	// release ends the process's command context once the client is dead.
	release context.CancelFunc
}

// errStartAborted is wrapped by start's error when ctx or stop ended
// before the handshake completed.
var errStartAborted = errors.New("start aborted")

// start launches bin and completes go-plugin's handshake. It returns as
// soon as ctx or stop (the host closing) ends, with the process killed.
func start(ctx, stop context.Context, bin binary, stderr io.Writer) (*proc, error) {
	out := newSink(stderr)
	// go-plugin's handshake cannot be cancelled (Client.Start holds the
	// client's lock until the plugin answers or StartTimeout passes, and
	// Kill waits for that lock): the command's own context kills the
	// process instead, which ends the handshake at once.
	cctx, release := context.WithCancel(context.Background())
	unwatch := watch(release, ctx, stop)
	cmd := exec.CommandContext(cctx, bin.path, bin.args...)
	setDeathSignal(cmd)
	cmd.Env = pluginEnv(os.Environ())
	client := plugin.NewClient(&plugin.ClientConfig{
		SkipHostEnv:      true, // cmd.Env holds it, without spec variables
		HandshakeConfig:  sdk.Handshake(),
		VersionedPlugins: sdk.PluginSets(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Managed:          false,
		SecureConfig:     &plugin.SecureConfig{Checksum: bin.sum, Hash: sha256.New()},
		Stderr:           out.writer(),
		SyncStderr:       out.writer(),
		SyncStdout:       out.writer(),
		Logger:           hclog.New(&hclog.LoggerOptions{Level: hclog.Off, Output: io.Discard}),
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(sdk.MaxMessageSize), grpc.MaxCallSendMsgSize(sdk.MaxMessageSize))},
	})
	p := &proc{name: bin.name, client: client, out: out, release: release}
	err := p.connect()
	if fired := !unwatch(); fired || err != nil {
		if cause := aborted(ctx, stop); cause != nil {
			err = fmt.Errorf("%w: %w", errStartAborted, cause)
		}
	}
	if err != nil {
		p.kill()
		return nil, fmt.Errorf("start plugin %s (%s): %w%s", bin.name, bin.path, err, p.tailText())
	}
	return p, nil
}

// watch calls release when any of ctxs ends, until the returned func is
// called; that func reports whether release was not called.
func watch(release func(), ctxs ...context.Context) func() bool {
	stops := make([]func() bool, len(ctxs))
	for i, c := range ctxs {
		stops[i] = context.AfterFunc(c, release)
	}
	return func() bool {
		ok := true
		for _, s := range stops {
			ok = s() && ok
		}
		return ok
	}
}

// aborted is the cause of the first of ctx and stop that ended, or nil.
func aborted(ctx, stop context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if stop.Err() != nil {
		return errors.New("the plugin host closed")
	}
	return nil
}

func (p *proc) connect() error {
	rpc, err := p.client.Client()
	if err != nil {
		if strings.Contains(err.Error(), "Unrecognized remote plugin message") {
			return fmt.Errorf("%w\n(the plugin wrote to stdout before its handshake: a plugin must call sdk.Serve before printing anything, and log to stderr)", err)
		}
		return err
	}
	raw, err := rpc.Dispense(sdk.PluginKey)
	if err != nil {
		return err
	}
	r, ok := raw.(*sdk.Remote)
	if !ok {
		return fmt.Errorf("unexpected plugin client %T", raw)
	}
	p.remote = r
	return nil
}

// waitExited waits briefly for the process to exit after a failed call and
// reports whether it did.
func (p *proc) waitExited() bool {
	for range 40 {
		if p.client.Exited() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p.client.Exited()
}

// waitStopped waits until a cancelled run has ended (its end marker was
// read), the process has exited, or grace has passed. A plugin that ignores
// cancellation keeps the build waiting that long; the user's second Ctrl-C
// exits at once.
func (p *proc) waitStopped(ended <-chan struct{}, grace time.Duration) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	deadline := time.After(grace)
	for !p.client.Exited() {
		select {
		case <-ended:
			return
		case <-deadline:
			return
		case <-t.C:
		}
	}
}

func (p *proc) kill() {
	p.client.Kill()
	p.release()
}

func (p *proc) tail() []string                                  { return p.out.tail() }
func (p *proc) addSink(ev specv1.Events) (int, <-chan struct{}) { return p.out.add(ev) }
func (p *proc) removeSink(id int)                               { p.out.remove(id) }
func (p *proc) tailText() string {
	t := p.tail()
	if len(t) == 0 {
		return ""
	}
	return "\nlast lines of its stderr:\n  " + strings.Join(t, "\n  ")
}

// sink collects a plugin's stderr (and stray stdout) lines: it keeps the
// last tailLines in a ring and sends each line to the logs of the steps
// running in the process, or to the host's stderr when none runs.
type sink struct {
	mu       sync.Mutex
	fallback io.Writer
	ring     []string
	next     int
	steps    map[int]specv1.Events
	ended    map[int]chan struct{}
	lastID   int
	// panicAt is the first "panic:" or "fatal error:" line and its number,
	// kept even when the ring has moved past it.
	panicAt   string
	panicLine int
	lines     int
}

func newSink(fallback io.Writer) *sink {
	return &sink{fallback: fallback, steps: map[int]specv1.Events{}, ended: map[int]chan struct{}{}}
}

// add registers a running step's events; the channel is closed when the
// plugin's end marker for the returned id is read.
func (s *sink) add(ev specv1.Events) (int, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID++
	s.steps[s.lastID] = ev
	ch := make(chan struct{})
	s.ended[s.lastID] = ch
	return s.lastID, ch
}

func (s *sink) remove(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.steps, id)
	delete(s.ended, id)
}

// endMarker handles a run-end marker line and reports whether l was one.
func (s *sink) endMarker(l string) bool {
	rest, ok := strings.CutPrefix(l, sdk.RunEndMarker)
	if !ok {
		return false
	}
	id, err := strconv.Atoi(rest)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.ended[id]; ok {
		close(ch)
		delete(s.ended, id)
	}
	return true
}

func (s *sink) line(l string) {
	if s.endMarker(l) {
		return
	}
	s.mu.Lock()
	s.lines++
	if s.panicAt == "" && (strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ")) {
		s.panicAt, s.panicLine = l, s.lines
	}
	if len(s.ring) < tailLines {
		s.ring = append(s.ring, l)
	} else {
		s.ring[s.next] = l
		s.next = (s.next + 1) % tailLines
	}
	steps := make([]specv1.Events, 0, len(s.steps))
	for _, ev := range s.steps {
		steps = append(steps, ev)
	}
	s.mu.Unlock()
	if len(steps) == 0 {
		fmt.Fprintln(s.fallback, l)
	}
	for _, ev := range steps {
		ev.Log(l)
	}
}

func (s *sink) tail() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.ring)+2)
	if s.panicAt != "" && s.lines-s.panicLine >= tailLines {
		out = append(out, s.panicAt, "...")
	}
	out = append(out, s.ring[s.next:]...)
	return append(out, s.ring[:s.next]...)
}

// writer returns an io.Writer that splits its input into lines for s; each
// stream needs its own writer so that partial lines do not mix.
func (s *sink) writer() io.Writer { return &lineWriter{s: s} }

type lineWriter struct {
	mu  sync.Mutex
	s   *sink
	buf []byte
}

// maxLine bounds a buffered partial line.
const maxLine = 64 << 10

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.s.line(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLine {
		w.s.line(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(b), nil
}

// pluginEnv is env without the CKPT_VAR_* entries that set spec variables:
// a plugin gets the values its config uses in its request, not every
// variable (sensitive ones included) through its environment.
func pluginEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "CKPT_VAR_") {
			out = append(out, kv)
		}
	}
	return out
}
