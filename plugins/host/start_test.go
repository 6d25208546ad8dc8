package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestPluginsStartInParallel starts two plugins whose handshake is slow at
// once: each must have started before the other was ready (their start
// intervals overlap), which a host starting plugins one at a time cannot
// do. Concurrent calls for one plugin still share one process.
func TestPluginsStartInParallel(t *testing.T) {
	dir := project(t, "slowa", "slowb")
	times := filepath.Join(t.TempDir(), "times")
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_TESTPLUG_SLEEP", "700ms")
	t.Setenv("CKPT_TESTPLUG_TIMES", times)
	t.Setenv("CKPT_TESTPLUG_STARTS", starts)
	h := newHost(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, name := range []string{"slowa", "slowb", "slowa", "slowb"} {
		wg.Go(func() {
			_, err := h.Validate(ctx(t), name, &specv1.ValidateRequest{Kind: "check", Type: "testplug", Step: "check.x", Config: []byte(`{"mode":"ok"}`)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := readTimes(t, times)
	if st["slowa start"] >= st["slowb ready"] || st["slowb start"] >= st["slowa ready"] {
		t.Errorf("plugins started one after the other: %v", st)
	}
	if n := countLines(t, starts); n != 2 {
		t.Errorf("%d processes for 2 plugins called twice each, want 2", n)
	}
}

// TestCancelDuringHandshake cancels a call while its plugin has not
// answered the handshake yet: the call returns ctx's error well before the
// plugin would have been ready, and the half-started process is killed.
func TestCancelDuringHandshake(t *testing.T) {
	dir := project(t, "slow")
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_TESTPLUG_SLEEP", "30s")
	t.Setenv("CKPT_TESTPLUG_STARTS", starts)
	h := newHost(t, dir)
	cctx, cancel := context.WithCancel(ctx(t))
	done := make(chan error, 1)
	began := time.Now()
	go func() { _, err := h.Execute(cctx, "slow", request(t, "ok"), &recorder{}); done <- err }()
	waitFor(t, "the plugin process to start", func() bool { b, _ := os.ReadFile(starts); return strings.Contains(string(b), "\n") })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the call still waits for the handshake after its context was cancelled")
	}
	if d := time.Since(began); d >= 30*time.Second {
		t.Errorf("returned after %s, i.e. after the handshake delay", d)
	}
	pid := firstPid(t, starts)
	waitFor(t, "the half-started plugin to be killed", func() bool { return !alive(pid) })
	// The aborted start is forgotten: the next call starts the plugin again.
	t.Setenv("CKPT_TESTPLUG_SLEEP", "")
	if _, err := h.Execute(ctx(t), "slow", request(t, "ok"), &recorder{}); err != nil {
		t.Fatal(err)
	}
}

// TestCloseAbortsHandshake closes the host while a plugin is still
// starting: Close returns without waiting for the handshake, and the
// waiting call fails.
func TestCloseAbortsHandshake(t *testing.T) {
	dir := project(t, "slow")
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_TESTPLUG_SLEEP", "30s")
	t.Setenv("CKPT_TESTPLUG_STARTS", starts)
	h, err := host.New(host.Options{Dir: dir, Version: "test", Stderr: &lockedBuf{}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := h.Execute(ctx(t), "slow", request(t, "ok"), &recorder{}); done <- err }()
	waitFor(t, "the plugin process to start", func() bool { b, _ := os.ReadFile(starts); return strings.Contains(string(b), "\n") })
	closed := make(chan struct{})
	go func() { h.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(15 * time.Second):
		t.Fatal("Close waits for the handshake")
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "host closed") {
		t.Fatalf("err = %v, want the start aborted by Close", err)
	}
	pid := firstPid(t, starts)
	waitFor(t, "the half-started plugin to be killed", func() bool { return !alive(pid) })
}

// readTimes reads the "NAME start|ready UNIXNANO" lines of testplug.
func readTimes(t *testing.T, path string) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("bad line %q", l)
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[f[0]+" "+f[1]] = n
	}
	if len(out) != 4 {
		t.Fatalf("want a start and a ready line per plugin, got %v", out)
	}
	return out
}

func firstPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscanf(string(b), "%d", &pid); err != nil {
		t.Fatal(err)
	}
	return pid
}
