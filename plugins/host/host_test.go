package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func TestExecuteRunsStepAndStreamsEvents(t *testing.T) {
	dir := project(t, "testplug")
	h := newHost(t, dir)
	req := request(t, "ok")
	rec := &recorder{}
	md, err := h.Execute(ctx(t), "testplug", req, rec)
	if err != nil {
		t.Fatal(err)
	}
	if md.Kind != "check" || md.ID != "check.ok" {
		t.Errorf("metadata = %+v, want kind check and id check.ok", md)
	}
	if b, err := os.ReadFile(filepath.Join(req.OutputDir, "out.txt")); err != nil || string(b) != "check.ok" {
		t.Errorf("output file: %q, %v", b, err)
	}
	// The plugin's own stderr line is part of the step's log.
	if !strings.Contains(rec.text(), "a line on stderr") {
		t.Errorf("step log lacks the plugin's stderr line:\n%s", rec.text())
	}
	if rec.progress != 1 || len(rec.diags) != 1 || rec.diags[0].Summary != "just so you know" {
		t.Errorf("progress %d, diagnostics %+v", rec.progress, rec.diags)
	}
}

func TestStepFailureIsNotACrash(t *testing.T) {
	h := newHost(t, project(t, "testplug"))
	_, err := h.Execute(ctx(t), "testplug", request(t, "fail"), &recorder{})
	var crash *host.CrashError
	if err == nil || errors.As(err, &crash) || err.Error() != "the step failed on purpose" {
		t.Fatalf("err = %v, want the step's own failure, without the step's name (the scheduler adds it)", err)
	}
	// The process survives a step failure and serves the next step.
	if _, err := h.Execute(ctx(t), "testplug", request(t, "ok"), &recorder{}); err != nil {
		t.Fatal(err)
	}
}

func TestOneProcessPerPluginAndConcurrentSteps(t *testing.T) {
	dir := project(t, "testplug")
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_TESTPLUG_STARTS", starts)
	h := newHost(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.Execute(ctx(t), "testplug", request(t, "ok"), &recorder{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := countLines(t, starts); n != 1 {
		t.Errorf("plugin started %d times for 4 steps, want 1", n)
	}
}

func TestTamperedBinaryIsRefused(t *testing.T) {
	dir := project(t, "testplug")
	p := filepath.Join(host.ProjectPluginDir(dir), "ckpt-plugin-testplug")
	locked, _, _ := host.FileDigest(p)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("tampered"))
	f.Close()
	got, _, _ := host.FileDigest(p)
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_TESTPLUG_STARTS", starts)

	h := newHost(t, dir)
	_, err = h.Execute(ctx(t), "testplug", request(t, "ok"), &recorder{})
	var de *host.DigestError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a DigestError", err)
	}
	for _, d := range []string{locked, got} {
		if !strings.Contains(err.Error(), d) {
			t.Errorf("error does not name digest %s: %v", d, err)
		}
	}
	if _, err := h.Components(ctx(t)); !errors.As(err, &de) {
		t.Errorf("Components: err = %v, want a DigestError", err)
	}
	if _, err := os.Stat(starts); err == nil {
		t.Error("the tampered binary was started")
	}
}

func TestUnlockedPluginIsRefused(t *testing.T) {
	dir := project(t)
	install(t, dir, "testplug")
	stderr := &lockedBuf{}
	h, err := host.New(host.Options{Dir: dir, Stderr: stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, err = h.Execute(ctx(t), "testplug", request(t, "ok"), &recorder{})
	if err == nil || !strings.Contains(err.Error(), "not in .ckpt.lock.hcl") {
		t.Fatalf("err = %v, want not in lock", err)
	}
	cs, err := h.Components(ctx(t))
	if err != nil || len(cs) != 0 {
		t.Fatalf("Components = %v, %v; want none", cs, err)
	}
	if !strings.Contains(stderr.String(), "ignoring plugin binary ckpt-plugin-testplug") {
		t.Errorf("no warning about the unlocked binary: %q", stderr.String())
	}
}

func TestLockedButMissingBinary(t *testing.T) {
	dir := project(t, "testplug")
	os.Remove(filepath.Join(host.ProjectPluginDir(dir), "ckpt-plugin-testplug"))
	h := newHost(t, dir)
	_, err := h.Components(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "run ckpt init") {
		t.Fatalf("err = %v, want a hint to run ckpt init", err)
	}
}

func TestUserPluginFolder(t *testing.T) {
	dir := project(t, "testplug")
	// Move the binary to the user's folder: it is still found and verified.
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	from := filepath.Join(host.ProjectPluginDir(dir), "ckpt-plugin-testplug")
	to := filepath.Join(xdg, "ckpt", "plugins", "ckpt-plugin-testplug")
	os.MkdirAll(filepath.Dir(to), 0o755)
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, dir)
	if _, err := h.Execute(ctx(t), "testplug", request(t, "ok"), &recorder{}); err != nil {
		t.Fatal(err)
	}
}

func TestCrashFailsStepWithStderrTail(t *testing.T) {
	for mode, want := range map[string]string{
		"crash": "about to crash: disk on fire",
		"panic": "panic: boom in the plugin",
	} {
		t.Run(mode, func(t *testing.T) {
			h := newHost(t, project(t, "testplug"))
			_, err := h.Execute(ctx(t), "testplug", request(t, mode), &recorder{})
			var crash *host.CrashError
			if !errors.As(err, &crash) {
				t.Fatalf("err = %v, want a CrashError", err)
			}
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "crashed during run") {
				t.Errorf("crash report lacks %q or the call:\n%v", want, err)
			}
			// A later step gets a fresh process.
			if _, err := h.Execute(ctx(t), "testplug", request(t, "ok"), &recorder{}); err != nil {
				t.Errorf("after the crash: %v", err)
			}
		})
	}
}

func TestStdoutBeforeHandshake(t *testing.T) {
	h := newHost(t, project(t, "noisy"))
	_, err := h.Execute(ctx(t), "noisy", request(t, "ok"), &recorder{})
	if err == nil {
		t.Fatal("a plugin that prints before its handshake started")
	}
	for _, want := range []string{"hello from a plugin that prints too early", "stdout before its handshake"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestCancelStopsLongStep(t *testing.T) {
	h := newHost(t, project(t, "testplug"))
	req := request(t, "sleep")
	rec := &recorder{logged: make(chan string, 1)}
	cctx, cancel := context.WithCancel(ctx(t))
	done := make(chan error, 1)
	go func() { _, err := h.Execute(cctx, "testplug", req, rec); done <- err }()
	<-rec.logged // the step is running
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The component saw the cancellation and stopped.
	waitFor(t, "the component to stop", func() bool {
		_, err := os.Stat(filepath.Join(req.ScratchDir, "stopped"))
		return err == nil
	})
}

// TestCancelGraceBound: a component that ignores cancellation holds a
// cancelled Execute only for the host's stop grace, and Close kills it.
func TestCancelGraceBound(t *testing.T) {
	h, err := host.New(host.Options{Dir: project(t, "testplug"), Version: "test", Stderr: &lockedBuf{},
		StopGrace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	req := request(t, "stubborn")
	rec := &recorder{logged: make(chan string, 1)}
	cctx, cancel := context.WithCancel(ctx(t))
	done := make(chan error, 1)
	go func() { _, err := h.Execute(cctx, "testplug", req, rec); done <- err }()
	var pid int
	if _, err := fmt.Sscanf(<-rec.logged, "pid %d", &pid); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	h.Close()
	waitFor(t, "the stubborn plugin to be killed", func() bool { return !alive(pid) })
}

func TestComponentsAreCachedByDigest(t *testing.T) {
	dir := project(t, "testplug")
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_TESTPLUG_STARTS", starts)
	for i := range 2 {
		h := newHost(t, dir)
		cs, err := h.Components(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].Address() != "check.testplug" || cs[0].Plugin != "testplug" ||
			cs[0].Version != "1.0.0" || !strings.HasPrefix(cs[0].Digest, "sha256:") {
			t.Fatalf("call %d: components = %+v", i, cs)
		}
		h.Close()
	}
	if n := countLines(t, starts); n != 1 {
		t.Errorf("plugin started %d times for two Components calls, want 1", n)
	}
}

func TestValidate(t *testing.T) {
	h := newHost(t, project(t, "testplug"))
	diags, err := h.Validate(ctx(t), "testplug", &specv1.ValidateRequest{Kind: "check", Type: "testplug", Step: "check.x", Config: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 1 || strings.Join(diags[0].Path, ".") != "mode" {
		t.Errorf("diagnostics = %+v, want one on mode", diags)
	}
}

func TestUnknownComponentIsNotACrash(t *testing.T) {
	h := newHost(t, project(t, "testplug"))
	req := request(t, "ok")
	req.Type = "nope"
	_, err := h.Execute(ctx(t), "testplug", req, &recorder{})
	var crash *host.CrashError
	if err == nil || errors.As(err, &crash) || !strings.Contains(err.Error(), "has no component check.nope") {
		t.Fatalf("err = %v, want an unknown-component error", err)
	}
}

// TestLargeMessages sends a config above gRPC's default 4 MiB receive limit
// to a real plugin process: the SDK raises the plugin side's limit.
func TestLargeMessages(t *testing.T) {
	h := newHost(t, project(t, "testplug"))
	cfg := []byte(`{"mode":"ok","pad":"` + strings.Repeat("x", 5<<20) + `"}`)
	diags, err := h.Validate(ctx(t), "testplug", &specv1.ValidateRequest{Kind: "check", Type: "testplug", Step: "check.big", Config: cfg})
	if err != nil || len(diags) != 0 {
		t.Fatalf("5 MiB config: %v, %+v", err, diags)
	}
}

func TestNoBuiltinWithoutSelf(t *testing.T) {
	h := newHost(t, t.TempDir())
	_, err := h.Execute(ctx(t), host.BuiltinName, request(t, "ok"), &recorder{})
	if err == nil || !strings.Contains(err.Error(), "Options.Self") {
		t.Fatalf("err = %v", err)
	}
}

func TestClosedHost(t *testing.T) {
	h := newHost(t, project(t, "testplug"))
	h.Close()
	if _, err := h.Execute(ctx(t), "testplug", request(t, "ok"), &recorder{}); err == nil {
		t.Fatal("a closed host ran a step")
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(strings.Fields(string(b)))
}

// waitFor polls cond for up to 10 s; it is a deadline, not a timing claim.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
