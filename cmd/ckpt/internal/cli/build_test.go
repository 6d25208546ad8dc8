package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// quickstartProject copies examples/quickstart into a temporary folder and
// synthesizes its base model and adapter with the real ckpt binary.
func quickstartProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "..", "..", "examples", "quickstart")
	copyFile(t, filepath.Join(src, "quickstart.ckpt.hcl"), filepath.Join(dir, "quickstart.ckpt.hcl"), 0o644)
	for _, f := range []string{"predictions.jsonl", "ticket.schema.json"} {
		copyFile(t, filepath.Join(src, "evals", f), filepath.Join(dir, "evals", f), 0o644)
	}
	ckpt := binaries(t).ckpt
	for _, args := range [][]string{
		{"synth", "model", filepath.Join(dir, "base"), "--layout", "native", "--seed", "1"},
		{"synth", "adapter", filepath.Join(dir, "adapters", "support"), "--base", filepath.Join(dir, "base"),
			"--format", "peft", "--rank", "8", "--alpha", "16", "--targets", "wq,wk,wv,wo", "--seed", "2"},
	} {
		if b, err := exec.Command(ckpt, args...).CombinedOutput(); err != nil {
			t.Fatalf("ckpt %v: %v\n%s", args, err, b)
		}
	}
	return dir
}

// retrain replaces a quickstart project's adapter by one of another seed
// and stamps the eval predictions with the new merge's digest (they stand
// for the retrained model's outputs).
func retrain(t *testing.T, dir string, seed int) {
	t.Helper()
	adapter := filepath.Join(dir, "adapters", "support")
	os.RemoveAll(adapter)
	preds := filepath.Join(dir, "evals", "predictions.jsonl")
	for _, args := range [][]string{
		{"synth", "adapter", adapter, "--base", filepath.Join(dir, "base"),
			"--format", "peft", "--rank", "8", "--alpha", "16", "--targets", "wq,wk,wv,wo", "--seed", strconv.Itoa(seed)},
		{"build", dir, "--only", "merge.support"},
		{"eval", "stamp", preds, "--dir", dir, "--target", "merge.support", "--replace", "--out", preds},
	} {
		if code, out, errOut := ckptProc(t, nil, args...); code != 0 {
			t.Fatalf("ckpt %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
}

// ckptProc runs the real ckpt binary (built-in plugins re-execute it).
func ckptProc(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binaries(t).ckpt, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func parseEvents(t *testing.T, out string) []run.Event {
	t.Helper()
	var evs []run.Event
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e run.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not a JSON event: %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	return evs
}

func TestBuildQuickstartThenCached(t *testing.T) {
	dir := quickstartProject(t)
	code, out, errOut := ckptProc(t, nil, "build", dir, "--json")
	if code != 0 {
		t.Fatalf("first build: exit %d\n%s\n%s", code, out, errOut)
	}
	first := map[string]run.Event{}
	for _, e := range parseEvents(t, out) {
		if e.Type == run.EventStepFinished {
			first[e.Step] = e
			if e.Status != run.StatusOK || e.Artifact == "" {
				t.Errorf("first build %s: %+v", e.Step, e)
			}
		}
	}
	if len(first) != 7 {
		t.Fatalf("%d steps finished, want 7 (all but push)", len(first))
	}
	code, out, errOut = ckptProc(t, nil, "build", dir, "--json")
	if code != 0 {
		t.Fatalf("second build: exit %d\n%s", code, errOut)
	}
	for _, e := range parseEvents(t, out) {
		switch e.Type {
		case run.EventStepStarted:
			t.Errorf("the second build started %s", e.Step)
		case run.EventStepFinished:
			if !e.Cached || e.Artifact != first[e.Step].Artifact {
				t.Errorf("second build %s: %+v", e.Step, e)
			}
		case run.EventBuildFinished:
			if e.CachedSteps != 7 || e.Status != run.StatusOK {
				t.Errorf("build_finished %+v", e)
			}
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, ".ckpt", "tmp")); len(left) != 0 {
		t.Errorf("temporary step folders left: %v", left)
	}
	testExportAndLedger(t, dir, first["merge.support"].Artifact)
}

// testExportAndLedger checks export, ledger, ledger show and ledger diff on
// a project built twice.
func testExportAndLedger(t *testing.T, dir, mergeDigest string) {
	out := filepath.Join(t.TempDir(), "merged")
	code, stdout, errOut := ckptRun(t, "export", "--dir", dir, "merge.support", out)
	if code != 0 || !strings.Contains(stdout, mergeDigest) {
		t.Fatalf("export: exit %d\n%s%s", code, stdout, errOut)
	}
	if _, err := os.Stat(filepath.Join(out, "consolidated.safetensors")); err != nil {
		t.Errorf("export: %v", err)
	}
	if code, _, errOut := ckptRun(t, "export", "--dir", dir, "merge.support", out); code != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("export over existing files: exit %d %s", code, errOut)
	}
	if code, _, errOut := ckptRun(t, "export", "--dir", dir, "merge.nope", out); code != 1 || !strings.Contains(errOut, "merge.nope") {
		t.Errorf("export of an unknown step: exit %d %s", code, errOut)
	}
	code, stdout, _ = ckptRun(t, "ledger", "--dir", dir)
	if code != 0 || !strings.Contains(stdout, "1  ") || !strings.Contains(stdout, "ok      7    0") || !strings.Contains(stdout, "ok      0    7") {
		t.Errorf("ledger list:\n%s", stdout)
	}
	code, stdout, _ = ckptRun(t, "ledger", "show", "1", "--dir", dir, "--json")
	var e state.Entry
	if code != 0 || json.Unmarshal([]byte(stdout), &e) != nil || len(e.Steps) != 7 {
		t.Fatalf("ledger show --json: exit %d\n%s", code, stdout)
	}
	for _, s := range e.Steps {
		if s.Address == "adapter.support" && (!strings.Contains(string(s.Training), "support-tickets@2026-10-01") || len(s.BaseModels) == 0) {
			t.Errorf("adapter in ledger: %+v", s)
		}
	}
	code, stdout, _ = ckptRun(t, "ledger", "diff", "1", "2", "--dir", dir)
	if code != 0 || !strings.Contains(stdout, "merge.support status: ok -> cached") || strings.Contains(stdout, "artifact") {
		t.Errorf("ledger diff:\n%s", stdout)
	}
	if code, _, errOut := ckptRun(t, "ledger", "show", "9", "--dir", dir); code != 1 || !strings.Contains(errOut, "no build #9") {
		t.Errorf("ledger show 9: exit %d %s", code, errOut)
	}
	if code, _, _ := ckptRun(t, "ledger", "show", "x", "--dir", dir); code != 2 {
		t.Errorf("ledger show x: exit %d, want 2", code)
	}
}

func TestBuildOnlyNoMatch(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join("..", "..", "..", "..", "examples", "quickstart", "quickstart.ckpt.hcl"), filepath.Join(dir, "q.ckpt.hcl"), 0o644)
	code, _, errOut := ckptRun(t, "build", dir, "--only", "merge.nope")
	if code != 2 || !strings.Contains(errOut, "--only merge.nope") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

func TestBuildInvalidSpec(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.ckpt.hcl"), []byte(`model "dir" "a" { nope = 1 }`), 0o644)
	code, _, errOut := ckptRun(t, "build", dir)
	if code != 1 || !strings.Contains(errOut, "x.ckpt.hcl:1") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

// slowProject is a project whose one step (the host's test plugin in mode
// "slow") blocks until cancelled while CKPT_TESTPLUG_BLOCK is set.
func slowProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	bin := filepath.Join(dir, "bin", "ckpt-plugin-testplug")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/ckpt-dev/ckpt/plugins/host/testdata/testplug").CombinedOutput(); err != nil {
		t.Fatalf("go build testplug: %v\n%s", err, b)
	}
	spec := `
ckpt {
  required_plugins {
    testplug = { source = "./bin/ckpt-plugin-testplug", version = "1.0.0" }
  }
}
model "dir" "base" {
  path    = "./model"
  id      = "tiny"
  license = "Apache-2.0"
}
check "testplug" "long" { mode = "slow" }
`
	os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(spec), 0o644)
	if b, err := exec.Command(binaries(t).ckpt, "synth", "model", filepath.Join(dir, "model"), "--layout", "native", "--seed", "1").CombinedOutput(); err != nil {
		t.Fatalf("synth: %v\n%s", err, b)
	}
	if code, out, errOut := ckptRun(t, "init", dir); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	return dir
}

// startBuild starts ckpt build --json and returns once the step named
// started, with the process and a function that waits for its exit code.
func startBuild(t *testing.T, dir, step string, env ...string) (*exec.Cmd, func() (int, string)) {
	t.Helper()
	cmd := exec.Command(binaries(t).ckpt, "build", dir, "--json")
	cmd.Env = append(os.Environ(), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e run.Event
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.Type == run.EventStepStarted && e.Step == step {
				once.Do(func() { close(started) })
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("%s never started:\n%s", step, errb.String())
	}
	return cmd, func() (int, string) {
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), errb.String()
		}
		return 0, errb.String()
	}
}

func TestBuildCtrlCLeavesConsistentStore(t *testing.T) {
	dir := slowProject(t)
	cmd, wait := startBuild(t, dir, "check.long", "CKPT_TESTPLUG_BLOCK=1")
	cmd.Process.Signal(syscall.SIGINT)
	code, errOut := wait()
	if code != 130 || !strings.Contains(errOut, "Interrupted") {
		t.Fatalf("exit %d, want 130:\n%s", code, errOut)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, ".ckpt", "tmp")); len(left) != 0 {
		t.Errorf("temporary step folders left: %v", left)
	}
	code, stdout, _ := ckptRun(t, "ledger", "show", "last", "--dir", dir, "--json")
	var e state.Entry
	if code != 0 || json.Unmarshal([]byte(stdout), &e) != nil || e.Status != run.StatusCancelled {
		t.Fatalf("ledger after Ctrl-C: %s", stdout)
	}
	if code, _, _ := ckptRun(t, "export", "--dir", dir, "check.long", t.TempDir()); code == 0 {
		t.Error("the interrupted step has an artifact")
	}
	code, out, errOut := ckptProc(t, nil, "build", dir, "--json")
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s%s", code, out, errOut)
	}
	for _, ev := range parseEvents(t, out) {
		if ev.Type == run.EventStepFinished && ev.Step == "check.long" && ev.Status != run.StatusOK {
			t.Errorf("rerun check.long: %+v", ev)
		}
	}
}
