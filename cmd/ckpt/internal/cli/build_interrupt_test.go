package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/store"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// stubbornProject writes a project whose step check.hang runs the test
// plugin testdata/stubborn in mode ("hang": it ignores cancellation and
// blocks for ever; "ok": it finishes) after check.first (mode "ok").
func stubbornProject(t *testing.T, mode ...string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	bin := filepath.Join(dir, "bin", "ckpt-plugin-stubborn")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/ckpt-dev/ckpt/cmd/ckpt/internal/cli/testdata/stubborn").CombinedOutput(); err != nil {
		t.Fatalf("go build stubborn: %v\n%s", err, b)
	}
	writeStubbornSpec(t, dir, append(mode, "hang")[0])
	if code, out, errOut := ckptRun(t, "init", dir); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	return dir
}

func writeStubbornSpec(t *testing.T, dir, mode string) {
	t.Helper()
	spec := `ckpt {
  required_plugins {
    stubborn = { source = "./bin/ckpt-plugin-stubborn", version = "1.0.0" }
  }
}
check "stubborn" "first" { mode = "ok" }
check "stubborn" "hang" {
  mode       = "` + mode + `"
  depends_on = [check.first]
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
}

// deadline is the test's own deadline (go test -timeout), less a margin
// for the report; without one, two minutes from now.
func deadline(t *testing.T) time.Time {
	if d, ok := t.Deadline(); ok {
		return d.Add(-10 * time.Second)
	}
	return time.Now().Add(2 * time.Minute)
}

// buildProc is a running ckpt build --json in its own process group, as a
// terminal runs it; its events and stderr lines are collected as they come.
type buildProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	evs  []run.Event
	errs []string
	done chan struct{} // closed when stdout and stderr are drained
	code int
}

func startBuildProc(t *testing.T, dir string, env ...string) *buildProc {
	t.Helper()
	p := &buildProc{cmd: exec.Command(binaries(t).ckpt, "build", "--json", dir), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, _ := p.cmd.StdoutPipe()
	stderr, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for sc := bufio.NewScanner(stdout); sc.Scan(); {
			var e run.Event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				p.mu.Lock()
				p.evs = append(p.evs, e)
				p.mu.Unlock()
			}
		}
	}()
	go func() {
		defer wg.Done()
		for sc := bufio.NewScanner(stderr); sc.Scan(); {
			p.mu.Lock()
			p.errs = append(p.errs, sc.Text())
			p.mu.Unlock()
		}
	}()
	go func() {
		wg.Wait()
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		}
		close(p.done)
	}()
	return p
}

// interrupt sends SIGINT to the build's process group, as Ctrl-C does.
func (p *buildProc) interrupt(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
}

func (p *buildProc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return processAlive(p.cmd.Process.Pid)
	}
}

func (p *buildProc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.errs, "\n")
}

// event returns the first event matching match, or false.
func (p *buildProc) event(match func(run.Event) bool) (run.Event, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.evs {
		if match(e) {
			return e, true
		}
	}
	return run.Event{}, false
}

// waitFor polls cond until the test's deadline.
func (p *buildProc) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := deadline(t); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s; ckpt's stderr:\n%s", what, p.stderr())
		}
	}
}

func (p *buildProc) pluginPid(t *testing.T, step string) int {
	t.Helper()
	var pid int
	p.waitFor(t, step+" to log its plugin's pid", func() bool {
		_, ok := p.event(func(e run.Event) bool {
			return e.Type == run.EventStepLog && e.Step == step && func() bool {
				_, err := fmt.Sscanf(e.Message, "pid %d", &pid)
				return err == nil
			}()
		})
		return ok
	})
	return pid
}

// TestBuildSecondCtrlCExits interrupts a build whose running step's plugin
// ignores cancellation. After the first Ctrl-C the plugin has seen the
// cancellation and ckpt stays up: it cannot end the build while the plugin
// runs (a host that waits for cancelled runs) or while the ledger is
// locked (the test holds the ledger lock, as a concurrent build would, so
// that the graceful stop cannot complete whichever way the host stops
// plugins). The second Ctrl-C exits at once with 130 (no build_finished,
// no ledger entry) and takes the still running plugin process with it;
// nothing of the step is stored, the store stays valid, and a rerun
// completes and removes the killed build's temporary folders.
func TestBuildSecondCtrlCExits(t *testing.T) {
	dir := stubbornProject(t)
	lock := flock.New(state.For(dir).Ledger() + ".lock")
	os.MkdirAll(filepath.Join(dir, ".ckpt"), 0o755)
	if err := lock.Lock(); err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	sawCancel := filepath.Join(dir, "saw-cancel")
	p := startBuildProc(t, dir, "CKPT_STUBBORN_SAW_CANCEL="+sawCancel)
	pid := p.pluginPid(t, "check.hang")

	p.interrupt(t)
	p.waitFor(t, "the plugin to see the cancellation", func() bool { _, err := os.Stat(sawCancel); return err == nil })
	// ckpt wrote the message before cancelling; the test reads its stderr
	// through a pipe, so the line may still be on its way.
	p.waitFor(t, "the first Ctrl-C's message", func() bool { return strings.Contains(p.stderr(), "Interrupted: stopping the running steps") })
	if !p.alive() || !processAlive(pid) {
		t.Fatalf("after the first Ctrl-C: ckpt alive %v, plugin alive %v; stderr:\n%s", p.alive(), processAlive(pid), p.stderr())
	}

	p.interrupt(t)
	p.waitFor(t, "ckpt to exit after the second Ctrl-C", func() bool { return !p.alive() })
	<-p.done
	if p.code != 130 || !strings.Contains(p.stderr(), "Interrupted again: exiting now.") {
		t.Fatalf("exit %d, want 130 from the second Ctrl-C; stderr:\n%s", p.code, p.stderr())
	}
	if e, ok := p.event(func(e run.Event) bool { return e.Type == run.EventBuildFinished }); ok {
		t.Fatalf("the build finished gracefully (%+v): the second Ctrl-C did not exit at once", e)
	}
	if e, ok := p.event(func(e run.Event) bool { return e.Type == run.EventStepFinished && e.Step == "check.hang" }); ok && e.Status != run.StatusCancelled {
		t.Fatalf("check.hang: %+v, want cancelled or unfinished", e)
	}
	p.waitFor(t, fmt.Sprintf("plugin %d to be gone", pid), func() bool { return !processAlive(pid) })
	lock.Unlock()
	assertOnlyCached(t, dir, "check.first")

	writeStubbornSpec(t, dir, "ok")
	code, out, errOut := ckptProc(t, nil, "build", dir, "--json")
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s%s", code, out, errOut)
	}
	for _, ev := range parseEvents(t, out) {
		if ev.Type == run.EventStepFinished && (ev.Step == "check.hang") != (ev.Status == run.StatusOK) {
			t.Errorf("rerun: %s %s (want check.first cached, check.hang ok)", ev.Step, ev.Status)
		}
	}
	checkStore(t, dir)
}

// assertOnlyCached fails unless the store's cache names exactly one
// artifact per step in steps, those steps' names point at them and every
// named artifact's blobs are intact.
func assertOnlyCached(t *testing.T, dir string, steps ...string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, ".ckpt", "store"))
	if err != nil {
		t.Fatal(err)
	}
	tags, _ := st.Tags(ctx)
	var cached []string
	for _, tag := range tags {
		if strings.HasPrefix(tag, "cache-") {
			cached = append(cached, tag)
		}
	}
	if len(cached) != len(steps) {
		t.Fatalf("cache entries %v, want one for each of %v", cached, steps)
	}
	for _, s := range steps {
		if _, err := st.Resolve(ctx, state.For(dir).StepTag(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, tag := range tags {
		desc, err := st.Resolve(ctx, tag)
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.Manifest(ctx, desc)
		if err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		for _, d := range append(m.Layers, m.Config) {
			if err := st.Verify(ctx, d); err != nil {
				t.Errorf("%s: %v", tag, err)
			}
		}
		if strings.HasPrefix(tag, "step-") && !slices.ContainsFunc(steps, func(s string) bool { return tag == state.For(dir).StepTag(s) }) {
			t.Errorf("the store names an artifact as %s", tag)
		}
	}
}

// TestBuildCtrlCWaitsForCleanup: after the first Ctrl-C, ckpt waits for a
// cancelled plugin to finish its cleanup (which waits for the test's
// release) before it ends the build and the plugin process; then it exits
// 130 after a graceful stop (build_finished, ledger entry).
func TestBuildCtrlCWaitsForCleanup(t *testing.T) {
	dir := stubbornProject(t, "cleanup")
	saw, release, cleaned := filepath.Join(dir, "saw"), filepath.Join(dir, "release"), filepath.Join(dir, "cleaned")
	p := startBuildProc(t, dir, "CKPT_STUBBORN_RELEASE="+release, "CKPT_STUBBORN_CLEANED="+cleaned, "CKPT_STUBBORN_SAW_CANCEL="+saw)
	pid := p.pluginPid(t, "check.hang")
	p.interrupt(t)
	p.waitFor(t, "the first Ctrl-C to be handled", func() bool { return strings.Contains(p.stderr(), "Interrupted: stopping") })
	if !processAlive(pid) {
		t.Fatal("the plugin was stopped before its cleanup")
	}
	os.WriteFile(release, nil, 0o644)
	p.waitFor(t, "ckpt to exit", func() bool { return !p.alive() })
	<-p.done
	if _, err := os.Stat(cleaned); err != nil || p.code != 130 {
		t.Fatalf("exit %d, cleanup done: %v; stderr:\n%s", p.code, err, p.stderr())
	}
	if e, ok := p.event(func(e run.Event) bool { return e.Type == run.EventBuildFinished }); !ok || e.Status != run.StatusCancelled {
		t.Fatalf("build_finished %+v, want cancelled", e)
	}
	checkStore(t, dir, "check.hang")
}
