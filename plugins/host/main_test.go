package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// testBins are the test binaries, built once on first use (not in
// TestMain, so that fuzz workers do not pay for them).
type testBins struct{ testplug, hostproc string }

var (
	binsOnce sync.Once
	binsDir  string
	bins     testBins
	binsErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binsDir != "" {
		os.RemoveAll(binsDir)
	}
	os.Exit(code)
}

// build builds the test binaries once.
func build(t testing.TB) testBins {
	t.Helper()
	binsOnce.Do(func() {
		binsDir, binsErr = os.MkdirTemp("", "ckpt-host-test-")
		if binsErr != nil {
			return
		}
		bins = testBins{testplug: filepath.Join(binsDir, "testplug"), hostproc: filepath.Join(binsDir, "hostproc")}
		for out, pkg := range map[string]string{bins.testplug: "./testdata/testplug", bins.hostproc: "./testdata/hostproc"} {
			if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
				binsErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	if binsErr != nil {
		t.Fatal(binsErr)
	}
	return bins
}

// project makes a project folder with the test plugin installed as
// ckpt-plugin-NAME and locked.
func project(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg")) // no user plugins
	lock := &host.Lock{}
	for _, n := range names {
		p := install(t, dir, n)
		d, _, err := host.FileDigest(p)
		if err != nil {
			t.Fatal(err)
		}
		lock.Set(host.LockedPlugin{Name: n, Source: "./testplug", Version: "1.0.0", Hashes: map[string]string{host.HostPlatform(): d}})
	}
	if err := lock.WriteFile(filepath.Join(dir, host.LockFile)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func install(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(build(t).testplug)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(host.ProjectPluginDir(dir), host.BinaryPrefix+name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func newHost(t *testing.T, dir string) *host.Host {
	t.Helper()
	h, err := host.New(host.Options{Dir: dir, Version: "test", Stderr: &lockedBuf{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// request is a run of check "testplug" in mode.
func request(t *testing.T, mode string) *specv1.RunRequest {
	t.Helper()
	cfg, _ := json.Marshal(map[string]string{"mode": mode})
	return &specv1.RunRequest{Kind: "check", Type: "testplug", Step: "check." + mode, Config: cfg,
		OutputDir: t.TempDir(), ScratchDir: t.TempDir()}
}

// recorder keeps a step's events.
type recorder struct {
	mu       sync.Mutex
	logs     []string
	progress int
	diags    []specv1.Diagnostic
	logged   chan string
}

func (r *recorder) Log(msg string) {
	r.mu.Lock()
	r.logs = append(r.logs, msg)
	r.mu.Unlock()
	if r.logged != nil {
		select {
		case r.logged <- msg:
		default:
		}
	}
}
func (r *recorder) Progress(int64, int64, string) { r.mu.Lock(); r.progress++; r.mu.Unlock() }
func (r *recorder) Diagnostic(d specv1.Diagnostic) {
	r.mu.Lock()
	r.diags = append(r.diags, d)
	r.mu.Unlock()
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.logs, "\n")
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func ctx(t *testing.T) context.Context { return t.Context() }
