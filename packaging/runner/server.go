package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a server gets to exit after SIGTERM before its
// process group is killed.
const stopGrace = 5 * time.Second

// server is a process the runner started for the run, in its own process
// group, killed with the group when stopped or when ckpt dies.
type server struct {
	name string
	cmd  *exec.Cmd
	log  *tailBuffer
	done chan struct{}
	err  error
	once sync.Once
}

// startServer starts argv with env added to the environment.
func startServer(name string, argv []string, env []string) (*server, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("%s: start: empty command", name)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	s := &server{name: name, cmd: cmd, log: &tailBuffer{max: 8 << 10}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, argv[0], err)
	}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	return s, nil
}

// waitReady polls url until it answers 2xx, the process exits or timeout.
func (s *server) waitReady(ctx context.Context, url string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("%s %s: ready: %w", s.name, url, err)
		}
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s %s: ready: the server exited (%v) before it answered; its output ends:\n%s", s.name, url, s.err, s.log.String())
		case <-ctx.Done():
			return fmt.Errorf("%s %s: ready: %w", s.name, url, context.Cause(ctx))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s %s: ready: no answer after %s; its output ends:\n%s", s.name, url, timeout, s.log.String())
		}
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after stopGrace.
func (s *server) stop() error {
	var err error
	s.once.Do(func() {
		pgid := -s.cmd.Process.Pid
		_ = syscall.Kill(pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(stopGrace):
			err = fmt.Errorf("%s: stop: no exit %s after SIGTERM, killed", s.name, stopGrace)
		}
		// Whatever the leader did, no child of the group outlives the run.
		if kerr := syscall.Kill(pgid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) && err == nil {
			err = fmt.Errorf("%s: stop: %w", s.name, kerr)
		}
		<-s.done
	})
	return err
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

// last returns at most the last n bytes kept.
func (t *tailBuffer) last(n int) string {
	s := t.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}

// expand substitutes {dir} and {port} in every argument.
func expand(argv []string, dir string, port int) []string {
	r := strings.NewReplacer("{dir}", dir, "{port}", fmt.Sprint(port))
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = r.Replace(a)
	}
	return out
}
