package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/store"
)

// testplugProject writes a spec using the host's test plugin (check
// "testplug", whose mode says what it does), installs and locks it.
func testplugProject(t *testing.T, steps string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	copyFile(t, binaries(t).testplug, filepath.Join(dir, "bin", "ckpt-plugin-testplug"), 0o755)
	spec := `ckpt {
  required_plugins {
    testplug = { source = "./bin/ckpt-plugin-testplug", version = "1.0.0" }
  }
}
` + steps
	if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := ckptRun(t, "init", dir); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	return dir
}

// ckptBuild runs the real ckpt binary's build with --json.
func ckptBuild(t *testing.T, dir string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binaries(t).ckpt, "build", "--json", dir)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// events decodes --json output lines.
func events(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err == nil {
			evs = append(evs, e)
		}
	}
	return evs
}

func finished(evs []map[string]any, step string) map[string]any {
	for _, e := range evs {
		if e["type"] == "step_finished" && e["step"] == step {
			return e
		}
	}
	return nil
}

// checkStore fails unless the store is consistent: every tag resolves to a
// manifest whose blobs are all present and intact, no tag names a step in
// absent, and no temporary step folder is left.
func checkStore(t *testing.T, dir string, absent ...string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, ".ckpt", "store"))
	if err != nil {
		t.Fatal(err)
	}
	tags, err := st.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		for _, a := range absent {
			if tag == state.For(dir).StepTag(a) {
				t.Errorf("the store has an artifact of %s", a)
			}
		}
		desc, err := st.Resolve(ctx, tag)
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.Manifest(ctx, desc)
		if err != nil {
			t.Fatalf("tag %s: %v", tag, err)
		}
		for _, d := range append(m.Layers, m.Config) {
			if err := st.Verify(ctx, d); err != nil {
				t.Errorf("tag %s: blob %s: %v", tag, d.Digest, err)
			}
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, ".ckpt", "tmp")); len(ents) > 0 {
		t.Errorf("temporary step folders left: %v", ents)
	}
}

func TestBuildPluginCrashLeavesNoArtifact(t *testing.T) {
	dir := testplugProject(t, `check "testplug" "boom" { mode = "crash" }`+"\n")
	out, err := ckptBuild(t, dir).Output()
	var ee *exec.ExitError
	if !errorsAs(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("build: %v, want exit 1\n%s", err, out)
	}
	f := finished(events(t, string(out)), "check.boom")
	if f == nil || f["status"] == "ok" || !strings.Contains(fmt.Sprint(f["error"]), "disk on fire") ||
		!strings.Contains(fmt.Sprint(f["error"]), "crashed") {
		t.Fatalf("step_finished = %v, want a crash with the plugin's stderr tail\n%s", f, out)
	}
	checkStore(t, dir, "check.boom")
}

func TestBuildInterruptedLongStepThenRerun(t *testing.T) {
	dir := testplugProject(t, `check "testplug" "slow" { mode = "slow" }`+"\n"+`check "testplug" "quick" { mode = "ok" }`+"\n")
	cmd := ckptBuild(t, dir, "CKPT_TESTPLUG_BLOCK=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid, rest := pluginPid(t, stdout, "check.slow")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(rest)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errorsAs(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("interrupted build: %v, want exit 130\n%s", err, tail)
	}
	waitUntil(t, fmt.Sprintf("plugin %d to exit", pid), func() bool { return !processAlive(pid) })
	checkStore(t, dir, "check.slow")

	// A rerun completes, and the one after it runs nothing.
	out, err := ckptBuild(t, dir).Output()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if f := finished(events(t, string(out)), "check.slow"); f == nil || f["status"] != "ok" || f["cached"] == true {
		t.Fatalf("rerun: step_finished = %v\n%s", f, out)
	}
	checkStore(t, dir)
	out, err = ckptBuild(t, dir).Output()
	if err != nil {
		t.Fatalf("third build: %v\n%s", err, out)
	}
	for _, s := range []string{"check.slow", "check.quick"} {
		if f := finished(events(t, string(out)), s); f == nil || f["cached"] != true {
			t.Errorf("third build: %s not cached: %v", s, f)
		}
	}
}

func TestBuildRefusesTamperedPlugin(t *testing.T) {
	dir := testplugProject(t, `check "testplug" "c" { mode = "ok" }`+"\n")
	p := filepath.Join(dir, ".ckpt", "plugins", "ckpt-plugin-testplug")
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("x")
	f.Close()
	out, err := ckptBuild(t, dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refusing to run it") {
		t.Fatalf("build with a tampered plugin: %v\n%s", err, out)
	}
}

// pluginPid reads --json events until step's plugin logs its pid.
func pluginPid(t *testing.T, r io.Reader, step string) (int, io.Reader) {
	t.Helper()
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("build output ended before %s logged its pid: %v", step, err)
		}
		var e struct{ Type, Step, Message string }
		if json.Unmarshal([]byte(line), &e) != nil || e.Type != "step_log" || e.Step != step {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(e.Message, "pid %d", &pid); err == nil {
			return pid, br
		}
	}
}

func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitUntil polls cond for up to 10 s (a deadline, not a timing claim).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func errorsAs(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

// TestExamplePluginEndToEnd installs the example external plugin with ckpt
// init, builds the example spec (a built-in model step, then the plugin's
// check), exports the check's SHA256SUMS and verifies the model's files
// with coreutils' sha256sum -c.
func TestExamplePluginEndToEnd(t *testing.T) {
	dir := exampleProject(t)
	model := filepath.Join(dir, "model")
	os.Remove(model)
	if code, out, errOut := ckptRun(t, "synth", "model", model, "--layout", "native", "--seed", "1"); code != 0 {
		t.Fatalf("synth: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := ckptRun(t, "init", dir); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	out, err := ckptBuild(t, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if f := finished(events(t, string(out)), "check.base"); f == nil || f["status"] != "ok" {
		t.Fatalf("check.base: %v\n%s", f, out)
	}
	exported := filepath.Join(t.TempDir(), "sums")
	if code, o, e := ckptRun(t, "export", "--dir", dir, "check.base", exported); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, o, e)
	}
	cmd := exec.Command("sha256sum", "--strict", "-c", filepath.Join(exported, "SHA256SUMS"))
	cmd.Dir = model
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "params.json: OK") {
		t.Fatalf("sha256sum -c: %v\n%s", err, b)
	}
}

// TestPluginDiesWithKilledBuild kills ckpt build with SIGKILL during a long
// step: the plugin process must not survive it.
func TestPluginDiesWithKilledBuild(t *testing.T) {
	dir := testplugProject(t, `check "testplug" "slow" { mode = "slow" }`+"\n")
	cmd := ckptBuild(t, dir, "CKPT_TESTPLUG_BLOCK=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid, rest := pluginPid(t, stdout, "check.slow")
	go io.Copy(io.Discard, rest)
	killed := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	waitUntil(t, fmt.Sprintf("plugin %d to die with ckpt", pid), func() bool { return !processAlive(pid) })
	t.Logf("plugin gone %s after ckpt was killed", time.Since(killed).Round(time.Millisecond))
}
