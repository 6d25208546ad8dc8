package sdk

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Confinement. Where the kernel confines a process without privileges
// (Landlock on Linux), the plugin process does not run a step itself: it
// re-executes its own binary with the same arguments and StepEnv set, and
// that step process restricts itself (read everywhere, write only in the
// step's OutputDir and ScratchDir) before the component's Run starts. A
// process can only restrict itself, irreversibly, and one plugin process
// serves many steps; so each step gets a process of its own. Events come
// back on a pipe; a step process that dies without a result takes the
// plugin process down with its exit code, as a crash in process would.
const (
	// StepEnv is set (to the event pipe's descriptor) in a step process.
	// A plugin's main runs again in every step process before Serve: code
	// there must not have side effects that matter twice.
	StepEnv = "CKPT_SDK_STEP_FD"
	// ConfineEnv set to "off" in the host's environment runs steps
	// unconfined, in the plugin process (for debugging a plugin).
	ConfineEnv = "CKPT_PLUGIN_CONFINE"
)

// Confinement reports how this system confines a plugin's steps: "landlock
// ABI N" or "none: <why>".
func Confinement() string {
	if os.Getenv(ConfineEnv) == "off" {
		return "none: " + ConfineEnv + "=off"
	}
	return confinement()
}

// confine reports whether steps run confined in step processes.
func confine() bool { return os.Getenv(ConfineEnv) != "off" && confineAvailable() }

// stepEvent is one line on a step process's event pipe.
type stepEvent struct {
	Log        *string            `json:"log,omitempty"`
	Progress   *stepProgress      `json:"progress,omitempty"`
	Diagnostic *specv1.Diagnostic `json:"diagnostic,omitempty"`
	Result     *stepResult        `json:"result,omitempty"`
}

type stepProgress struct {
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
	Unit  string `json:"unit"`
}

type stepResult struct {
	Metadata *specv1.Metadata `json:"metadata,omitempty"`
	Error    string           `json:"error,omitempty"`
}

// runConfined runs req in a step process and forwards its events to ev.
func runConfined(ctx context.Context, req *specv1.RunRequest, ev Events) (*specv1.Metadata, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("confined step: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("confined step: %w", err)
	}
	defer r.Close()
	// The very binary this process runs (the one the host verified), even
	// if its path was replaced since; os.Args keeps its name in Args[0].
	cmd := exec.Command(selfExe)
	cmd.Args = os.Args
	cmd.Env = append(os.Environ(), StepEnv+"=3", "TMPDIR="+req.ScratchDir)
	cmd.Stdin = bytes.NewReader(b)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	setStepDeathSignal(cmd)
	err = cmd.Start()
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("confined step: start %s: %w", selfExe, err)
	}
	// Cancellation reaches the step as SIGTERM (its Run's context ends); a
	// step that ignores it is killed with this process (Pdeathsig), when
	// the host gives up on it, as it would be in process.
	stop := context.AfterFunc(ctx, func() { cmd.Process.Signal(syscall.SIGTERM) })
	defer stop()
	res := forward(r, ev)
	werr := cmd.Wait()
	if res == nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The step process crashed: so does this one, as in process.
		code := 2
		var ee *exec.ExitError
		if errors.As(werr, &ee) && ee.ExitCode() > 0 {
			code = ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "confined step process ended without a result: %v\n", werr)
		os.Exit(code)
	}
	if res.Error != "" {
		return nil, errors.New(res.Error)
	}
	return res.Metadata, nil
}

// forward relays the events read from r to ev and returns the result.
func forward(r io.Reader, ev Events) *stepResult {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxMessageSize)
	var res *stepResult
	for sc.Scan() {
		var e stepEvent
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		switch {
		case e.Log != nil:
			ev.Log(*e.Log)
		case e.Progress != nil:
			ev.Progress(e.Progress.Done, e.Progress.Total, e.Progress.Unit)
		case e.Diagnostic != nil:
			ev.Diagnostic(*e.Diagnostic)
		case e.Result != nil:
			res = e.Result
		}
	}
	return res
}

// serveStep is the step process: it reads the request on stdin, confines
// itself, runs the component and writes events to the pipe of StepEnv.
// It returns the process's exit code.
func serveStep(p *Plugin) int {
	pipe := os.NewFile(3, "ckpt-step-events")
	out := &pipeEvents{enc: json.NewEncoder(pipe)}
	var req specv1.RunRequest
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		out.result(nil, fmt.Errorf("confined step: decode request: %w", err))
		return 0
	}
	c := p.Component(req.Kind, req.Type)
	if c == nil {
		out.result(nil, fmt.Errorf("plugin %s has no component %s.%s", p.Name, req.Kind, req.Type))
		return 0
	}
	dirs, err := writable(c.Describe(), &req)
	if err == nil {
		err = restrict(dirs...)
	}
	if err != nil {
		out.result(nil, fmt.Errorf("confine step to %s: %w", strings.Join(dirs, ", "), err))
		return 0
	}
	go watchParent(os.Getppid(), 500*time.Millisecond)
	// Like the plugin process, ignore the terminal's Ctrl-C: cancellation
	// comes from the host, as SIGTERM from the plugin process.
	signal.Ignore(os.Interrupt)
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	md, err := c.Run(ctx, &req, out)
	out.result(md, err)
	return 0
}

// writable lists the folders a step may write: its output and scratch
// folders and, for a component that publishes, where its top-level path
// attributes point: the named folder when it exists, else the folder that
// will hold it (created first, as publishing would).
func writable(c specv1.Component, req *specv1.RunRequest) ([]string, error) {
	dirs := []string{req.OutputDir, req.ScratchDir}
	if !c.Capabilities.Publishes {
		return dirs, nil
	}
	var cfg map[string]json.RawMessage
	if len(req.Config) > 0 && json.Unmarshal(req.Config, &cfg) != nil {
		return dirs, nil // the component reports its own config errors
	}
	for _, a := range c.Schema.Attributes {
		var p string
		if a.Type != specv1.TypePath || json.Unmarshal(cfg[a.Name], &p) != nil || !filepath.IsAbs(p) {
			continue
		}
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			p = filepath.Dir(p)
			if err := os.MkdirAll(p, 0o755); err != nil {
				return dirs, fmt.Errorf("%s: %w", a.Name, err)
			}
		}
		dirs = append(dirs, p)
	}
	return dirs, nil
}

// pipeEvents writes a step's events as JSON lines; safe for concurrent use.
type pipeEvents struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (e *pipeEvents) send(ev stepEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	_ = e.enc.Encode(ev)
}

func (e *pipeEvents) Log(msg string) { e.send(stepEvent{Log: &msg}) }
func (e *pipeEvents) Progress(done, total int64, unit string) {
	e.send(stepEvent{Progress: &stepProgress{Done: done, Total: total, Unit: unit}})
}
func (e *pipeEvents) Diagnostic(d specv1.Diagnostic) { e.send(stepEvent{Diagnostic: &d}) }

func (e *pipeEvents) result(md *specv1.Metadata, err error) {
	r := &stepResult{Metadata: md}
	if err != nil {
		r = &stepResult{Error: err.Error()}
	}
	e.send(stepEvent{Result: r})
}
