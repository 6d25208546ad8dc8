package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// checkRefused fails unless the --json build output refused step before
// it started, with a step_log event whose range starts at line:col of
// file and a step_finished error naming that position.
func checkRefused(t *testing.T, out, step, file string, line, col int, summary string) {
	t.Helper()
	var logged, done *run.Event
	for _, e := range parseEvents(t, out) {
		switch {
		case e.Step != step:
		case e.Type == run.EventStepStarted:
			t.Errorf("%s started", step)
		case e.Type == run.EventStepLog && e.Range != nil:
			logged = &e
		case e.Type == run.EventStepFinished:
			done = &e
		}
	}
	if logged == nil || logged.Range.Filename != file || logged.Range.Start.Line != line || logged.Range.Start.Column != col ||
		logged.Diagnostic == nil || logged.Diagnostic.Summary != summary {
		t.Errorf("%s: validation event %+v, want %s:%d:%d %q", step, logged, file, line, col, summary)
	}
	pos := fmt.Sprintf("%s:%d:%d: %s", file, line, col, summary)
	if done == nil || done.Status != run.StatusFailed || done.Artifact != "" || !strings.Contains(done.Error, pos) {
		t.Errorf("%s: step_finished %+v, want failed with %q", step, done, pos)
	}
}

// TestBuildValidatesPendingBuiltinStep checks that a built-in step whose
// config depends on an upstream output (so that validate cannot check it)
// is validated with its resolved config before it runs: the model plugin
// refuses the resolved "-latest" id on the exact spec range.
func TestBuildValidatesPendingBuiltinStep(t *testing.T) {
	dir := t.TempDir()
	if b, err := exec.Command(binaries(t).ckpt, "synth", "model", filepath.Join(dir, "base"), "--layout", "native", "--seed", "1").CombinedOutput(); err != nil {
		t.Fatalf("synth: %v\n%s", err, b)
	}
	file := filepath.Join(dir, "main.ckpt.hcl")
	spec := `model "dir" "base" {
  path    = "./base"
  id      = "mistral-7b-instruct-v0.3"
  license = "Apache-2.0"
}

model "dir" "alias" {
  path    = "./base"
  id      = "${model.base.id}-latest"
  license = "Apache-2.0"
}
`
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := specRun(t, "validate", dir); code != 0 {
		t.Fatalf("validate: exit %d (a pending step cannot be checked before the build)\n%s", code, errs)
	}
	code, out, errs := ckptProc(t, nil, "build", "--keep-going", "--json", dir)
	if code != 1 {
		t.Fatalf("build: exit %d, want 1\n%s\n%s", code, out, errs)
	}
	summary := `id "mistral-7b-instruct-v0.3-latest" is a moving alias`
	checkRefused(t, out, "model.alias", file, 9, 13, summary)
	checkLines(t, errs, file, []string{
		`:9:13: error: ` + summary,
		`  9 |   id      = "${model.base.id}-latest"`,
		`    |             ^^^^^^^^^^^^^^^^^^^^^^^^^`,
		`  A "-latest" id points at different weights over time`,
	})
	if f := finished(events(t, out), "model.base"); f == nil || f["status"] != run.StatusOK {
		t.Errorf("model.base: %v", f)
	}
	checkStore(t, dir, "model.alias")
	// Text output names the position too.
	code, out, errs = ckptProc(t, nil, "build", dir)
	if code != 1 || !strings.Contains(errs, file+":9:13: error: "+summary) {
		t.Errorf("text build: exit %d\n%s\n%s", code, out, errs)
	}
}

// diagChain is a check "diag" step a, and a step b whose report depends on
// a's id, so that its Validate answer is only known during the build.
func diagChain(severity string) string {
	return `check "diag" "a" {
  note = "upstream"
}

check "diag" "b" {
  target = check.a
  note   = "n"
  report = [{ severity = "` + severity + `", summary = "refused ${check.a.id}", path = ["note"] }]
}
`
}

// TestBuildValidatesPendingExternalStep checks the same for an external
// plugin: its Validate runs in its process with the resolved config, and
// an error stops the step before its Run.
func TestBuildValidatesPendingExternalStep(t *testing.T) {
	dir := pluginProject(t, "diag", "1.0.0", diagplug(t), diagChain("error"))
	if code, _, errs := specRun(t, "validate", dir); code != 0 {
		t.Fatalf("validate: exit %d\n%s", code, errs)
	}
	runs := filepath.Join(t.TempDir(), "runs")
	code, out, errs := ckptProc(t, []string{"CKPT_DIAGPLUG_RUNS=" + runs}, "build", "--json", dir)
	if code != 1 {
		t.Fatalf("build: exit %d, want 1\n%s\n%s", code, out, errs)
	}
	file := filepath.Join(dir, "main.ckpt.hcl")
	checkRefused(t, out, "check.b", file, 13, 12, "refused check.a")
	checkLines(t, errs, file, []string{`:13:12: error: refused check.a`, `  13 |   note   = "n"`, `     |            ^^^`})
	if b, _ := os.ReadFile(runs); string(b) != "check.a\n" {
		t.Errorf("runs %q, want check.a only", b)
	}
	checkStore(t, dir, "check.b")
}

// TestBuildPendingStepCachedRebuildStartsNoPlugin checks that a pending
// external step validated during a build (with a warning) is remembered
// with its inputs' metadata: the warning is shown, the step runs, and a
// rebuild starts no plugin.
func TestBuildPendingStepCachedRebuildStartsNoPlugin(t *testing.T) {
	dir := pluginProject(t, "diag", "1.0.0", diagplug(t), diagChain("warning"))
	starts := filepath.Join(t.TempDir(), "starts")
	env := []string{"CKPT_DIAGPLUG_STARTS=" + starts}
	count := func() int {
		b, _ := os.ReadFile(starts)
		return strings.Count(string(b), "\n")
	}
	code, out, errs := ckptProc(t, env, "build", "--json", dir)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s\n%s", code, out, errs)
	}
	file := filepath.Join(dir, "main.ckpt.hcl")
	checkLines(t, errs, file, []string{`:13:12: warning: refused check.a`})
	if n := strings.Count(errs, "warning: refused check.a"); n != 1 {
		t.Errorf("the warning is shown %d times:\n%s", n, errs)
	}
	first := count()
	if first == 0 {
		t.Fatal("the first build started no plugin")
	}
	code, out, errs = ckptProc(t, env, "build", "--json", dir)
	if code != 0 || count() != first {
		t.Fatalf("rebuild: exit %d, %d plugin starts, want none\n%s\n%s", code, count()-first, out, errs)
	}
	for _, e := range parseEvents(t, out) {
		if e.Type == run.EventStepFinished && !e.Cached {
			t.Errorf("rebuild: %s not cached", e.Step)
		}
	}
	checkLines(t, errs, file, []string{`:13:12: warning: refused check.a`})
}

// TestBuildMergeRefusesAdapterOfAnotherBase checks a refusal that only the
// inputs' metadata can show: the adapter's lineage names the base it was
// trained on, which is not the merge's base. The merge plugin's Validate
// refuses it before any merge runs, on the adapters list element.
func TestBuildMergeRefusesAdapterOfAnotherBase(t *testing.T) {
	dir := t.TempDir()
	ckpt := binaries(t).ckpt
	for _, args := range [][]string{
		{"synth", "model", filepath.Join(dir, "base"), "--layout", "native", "--seed", "1"},
		{"synth", "adapter", filepath.Join(dir, "adapter"), "--base", filepath.Join(dir, "base"),
			"--format", "peft", "--rank", "8", "--alpha", "16", "--targets", "wq,wv", "--seed", "2"},
	} {
		if b, err := exec.Command(ckpt, args...).CombinedOutput(); err != nil {
			t.Fatalf("ckpt %v: %v\n%s", args, err, b)
		}
	}
	file := filepath.Join(dir, "main.ckpt.hcl")
	spec := `model "dir" "base" {
  path    = "./base"
  id      = "mistral-7b-instruct-v0.3"
  license = "Apache-2.0"
}

model "dir" "other" {
  path    = "./base"
  id      = "mistral-7b-other-v1"
  license = "Apache-2.0"
}

adapter "peft" "support" {
  path    = "./adapter"
  base    = model.base
  license = "Apache-2.0"
}

merge "lora" "support" {
  base     = model.other
  adapters = [adapter.support]
  dtype    = "bf16"
}
`
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := specRun(t, "validate", dir); code != 0 {
		t.Fatalf("validate: exit %d (the inputs are not built yet)\n%s", code, errs)
	}
	code, out, errs := ckptProc(t, nil, "build", "--json", dir)
	if code != 1 {
		t.Fatalf("build: exit %d, want 1\n%s\n%s", code, out, errs)
	}
	summary := "adapter adapter.support was trained on model.base, not on this merge's base model.other"
	checkRefused(t, out, "merge.support", file, 21, 15, summary)
	checkLines(t, errs, file, []string{
		`:21:15: error: ` + summary,
		`  21 |   adapters = [adapter.support]`,
		`     |               ^^^^^^^^^^^^^^^`,
	})
	checkStore(t, dir, "merge.support")
}

// TestBuildShowsPlanWarningOnce checks that a fully known step's warning,
// printed when the spec is loaded, is not printed again when the step is
// validated right before it runs.
func TestBuildShowsPlanWarningOnce(t *testing.T) {
	dir := pluginProject(t, "diag", "1.0.0", diagplug(t), diagSpec(`{ severity = "warning", summary = "only a warning", path = ["items", "0"] }`))
	code, out, errs := ckptProc(t, nil, "build", "--json", dir)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s\n%s", code, out, errs)
	}
	if n := strings.Count(errs, "warning: only a warning"); n != 1 {
		t.Errorf("the warning is shown %d times:\n%s", n, errs)
	}
}
