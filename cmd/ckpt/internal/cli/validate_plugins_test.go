package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// baseModel is a valid model step every case below builds on.
const baseModel = `model "dir" "base" {
  path    = "."
  id      = "mistral-7b-instruct-v0.3"
  license = "Apache-2.0"
}
`

// TestValidatePluginDiagnostics checks that a built-in component's Validate
// diagnostics point at the exact spec range their attribute path names.
func TestValidatePluginDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		want       []string // lines of stderr, after the file name
	}{{
		name: "attribute",
		spec: "model \"dir\" \"base\" {\n  path = \".\"\n  id   = \"mistral-7b-latest\"\n}\n",
		want: []string{
			`:3:10: error: id "mistral-7b-latest" is a moving alias`,
			`  3 |   id   = "mistral-7b-latest"`,
			`    |          ^^^^^^^^^^^^^^^^^^^`,
			`  A "-latest" id points at different weights over time; pin a dated id such as "mistral-small-2501".`,
		},
	}, {
		name: "list element",
		spec: baseModel + `
check "license" "release" {
  target = model.base
  use    = "commercial"
  allow  = ["MIT", "not a license (", "Apache-2.0"]
}
`,
		want: []string{
			`:10:20: error: license expression "not a license ("`,
			`  10 |   allow  = ["MIT", "not a license (", "Apache-2.0"]`,
			`     |                    ^^^^^^^^^^^^^^^^^`,
		},
	}, {
		name: "object key",
		spec: baseModel + `
eval "json" "format" {
  target      = model.base
  predictions = "./main.ckpt.hcl"
  max         = { trailing_text = 0, bogus = 1 }
}
`,
		want: []string{
			`:10:38: error: max: unknown failure category "bogus"; want one of `,
			`  10 |   max         = { trailing_text = 0, bogus = 1 }`,
			`     |                                      ^^^^^`,
		},
	}, {
		name: "no path: the block",
		spec: baseModel + `
eval "json" "format" {
  target      = model.base
  predictions = "./main.ckpt.hcl"
  max         = { trailing_text = "none" }
}
`,
		want: []string{
			`:7:1: error: invalid eval config: json: cannot unmarshal string`,
			`  7 | eval "json" "format" {`,
			`    | ^^^^^^^^^^^^^^^^^^^^`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := specDir(t, map[string]string{"main.ckpt.hcl": tc.spec})
			code, out, errs := specRun(t, "validate", dir)
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q, want 1 and nothing", code, out)
			}
			checkLines(t, errs, filepath.Join(dir, "main.ckpt.hcl"), tc.want)
			if n := strings.Count(errs, ": error: "); n != 1 {
				t.Errorf("%d errors, want 1:\n%s", n, errs)
			}
		})
	}
}

// checkLines fails unless got holds want as consecutive lines, the first
// prefixed by file and each a prefix of the line it matches.
func checkLines(t *testing.T, got, file string, want []string) {
	t.Helper()
	lines := strings.Split(got, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, file+want[0]) {
			continue
		}
		for j, w := range want[1:] {
			if i+1+j >= len(lines) || !strings.HasPrefix(lines[i+1+j], w) {
				t.Errorf("line %d of the diagnostic is not %q:\n%s", j+2, w, got)
			}
		}
		return
	}
	t.Errorf("stderr lacks %q:\n%s", file+want[0], got)
}

func TestValidatePluginDiagnosticsJSON(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": baseModel + `
eval "json" "format" {
  target      = model.base
  predictions = "./main.ckpt.hcl"
  max         = { "bogus" = 1 }
  min_valid   = 2
}
`})
	code, out, _ := specRun(t, "validate", "--json", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var got validateJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var ranges []string
	for _, d := range got.Diagnostics {
		if d.Range == nil || d.Snippet == nil || d.Snippet.Context == nil {
			t.Fatalf("diagnostic without range or snippet: %+v", d)
		}
		r, s := d.Range, d.Snippet
		ranges = append(ranges, fmt.Sprintf("%s %d:%d-%d:%d %q %q", d.Severity, r.Start.Line, r.Start.Column, r.End.Line, r.End.Column,
			s.Code[s.HighlightStartOffset:s.HighlightEndOffset], *s.Context))
	}
	want := []string{
		`error 10:19-10:26 "\"bogus\"" "eval \"json\" \"format\""`,
		`error 11:17-11:18 "2" "eval \"json\" \"format\""`,
	}
	if got.Valid || got.ErrorCount != 2 || strings.Join(ranges, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s\n%s", strings.Join(ranges, "\n"), strings.Join(want, "\n"), out)
	}
}

var (
	diagplugOnce sync.Once
	diagplugBin  string
	diagplugErr  error
)

// diagplug builds testdata/diagplug once per test process, next to the
// other test binaries.
func diagplug(t *testing.T) string {
	t.Helper()
	diagplugOnce.Do(func() {
		dir := filepath.Dir(binaries(t).ckpt)
		diagplugBin = filepath.Join(dir, "ckpt-plugin-diag")
		tmp := fmt.Sprintf("%s.%d.tmp", diagplugBin, os.Getpid())
		if b, err := exec.Command("go", "build", "-o", tmp, "./testdata/diagplug").CombinedOutput(); err != nil {
			diagplugErr = fmt.Errorf("go build diagplug: %v\n%s", err, b)
			return
		}
		diagplugErr = os.Rename(tmp, diagplugBin)
	})
	if diagplugErr != nil {
		t.Fatal(diagplugErr)
	}
	return diagplugBin
}

// pluginProject writes spec into a new project with the external plugin
// binary bin installed as ./bin/ckpt-plugin-NAME and locked by ckpt init.
func pluginProject(t *testing.T, name, version, bin, spec string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	copyFile(t, bin, filepath.Join(dir, "bin", "ckpt-plugin-"+name), 0o755)
	head := fmt.Sprintf("ckpt {\n  required_plugins {\n    %s = { source = \"./bin/ckpt-plugin-%s\", version = %q }\n  }\n}\n\n", name, name, version)
	if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(head+spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := ckptRun(t, "init", dir); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	return dir
}

func TestValidateExternalPlugin(t *testing.T) {
	// The example plugin sha256sums checks its exclude patterns.
	dir := pluginProject(t, "sha256sums", "0.1.0", binaries(t).sha256sums, baseModel+`
check "sha256sums" "base" {
  target  = model.base
  exclude = ["*.md", "[oops"]
}
`)
	code, _, errs := specRun(t, "validate", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, errs)
	}
	checkLines(t, errs, filepath.Join(dir, "main.ckpt.hcl"), []string{
		`:15:22: error: invalid exclude pattern`,
		`  15 |   exclude = ["*.md", "[oops"]`,
		`     |                      ^^^^^^^`,
		`  "[oops": syntax error in pattern`,
	})
}

// diagSpec is a check "diag" step whose Validate reports report.
func diagSpec(report string) string {
	return `check "diag" "x" {
  note   = "n"
  items  = ["a", "b"]
  report = [` + report + `]
}
`
}

func TestValidateExternalPluginPaths(t *testing.T) {
	dir := pluginProject(t, "diag", "1.0.0", diagplug(t), diagSpec(`
    { severity = "error", summary = "item b is wrong", detail = "Use c.", path = ["items", "1"] },
    { severity = "warning", summary = "a note", path = ["note"] },
    { severity = "error", summary = "somewhere else", path = ["nope", "0"] },
  `))
	code, out, errs := specRun(t, "validate", dir)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q\n%s", code, out, errs)
	}
	file := filepath.Join(dir, "main.ckpt.hcl")
	checkLines(t, errs, file, []string{`:7:1: error: somewhere else`, `  7 | check "diag" "x" {`, `    | ^^^^^^^^^^^^^^^^`})
	checkLines(t, errs, file, []string{`:8:12: warning: a note`, `  8 |   note   = "n"`, `    |            ^^^`})
	checkLines(t, errs, file, []string{`:9:18: error: item b is wrong`, `  9 |   items  = ["a", "b"]`, `    |                  ^^^`, `  Use c.`})
	code, out, _ = specRun(t, "validate", "--json", dir)
	var got validateJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 || got.ErrorCount != 2 || got.WarningCount != 1 {
		t.Errorf("--json: exit %d, %v\n%s", code, err, out)
	}
}

func TestValidatePluginWarningKeepsExit0(t *testing.T) {
	dir := pluginProject(t, "diag", "1.0.0", diagplug(t), diagSpec(`{ severity = "warning", summary = "only a warning", path = ["items", "0"] }`))
	code, out, errs := specRun(t, "validate", dir)
	if code != 0 || out != "The spec is valid (1 warnings).\n" {
		t.Fatalf("exit %d, stdout %q\n%s", code, out, errs)
	}
	checkLines(t, errs, filepath.Join(dir, "main.ckpt.hcl"), []string{`:9:13: warning: only a warning`})
	// A build goes ahead: the step runs.
	runs := filepath.Join(t.TempDir(), "runs")
	code, _, errs = ckptProc(t, []string{"CKPT_DIAGPLUG_RUNS=" + runs}, "build", dir, "--json")
	if b, _ := os.ReadFile(runs); code != 0 || string(b) != "check.x\n" {
		t.Errorf("build: exit %d, runs %q\n%s", code, b, errs)
	}
}

// TestBuildRefusesInvalidStep checks that a step's Validate error stops
// ckpt build (and plan) before any step runs.
func TestBuildRefusesInvalidStep(t *testing.T) {
	external := pluginProject(t, "diag", "1.0.0", diagplug(t), diagSpec(`{ severity = "error", summary = "not today", path = ["note"] }`))
	builtin := specDir(t, map[string]string{"main.ckpt.hcl": baseModel + `
eval "json" "format" {
  target      = model.base
  predictions = "./main.ckpt.hcl"
  max         = { bogus = 1 }
}
`})
	for name, tc := range map[string]struct{ dir, want string }{
		"external": {external, `main.ckpt.hcl:8:12: error: not today`},
		"builtin":  {builtin, `main.ckpt.hcl:10:19: error: max: unknown failure category "bogus"`},
	} {
		t.Run(name, func(t *testing.T) {
			runs := filepath.Join(t.TempDir(), "runs")
			code, out, errs := ckptProc(t, []string{"CKPT_DIAGPLUG_RUNS=" + runs}, "build", tc.dir, "--json")
			if code != 1 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, want 1 and %q:\n%s", code, tc.want, errs)
			}
			if strings.Contains(out, "step_started") {
				t.Errorf("a step started:\n%s", out)
			}
			if _, err := os.Stat(runs); !os.IsNotExist(err) {
				t.Errorf("the plugin ran a step: %v", err)
			}
			if _, err := os.Stat(filepath.Join(tc.dir, ".ckpt", "ledger.jsonl")); !os.IsNotExist(err) {
				t.Errorf("a build was recorded: %v", err)
			}
			if code, _, errs := specRun(t, "plan", tc.dir); code != 1 || !strings.Contains(errs, tc.want) {
				t.Errorf("plan: exit %d\n%s", code, errs)
			}
		})
	}
}

// TestValidateCleanStepStartsNoPluginTwice checks that an external
// plugin's clean answer is remembered: once a spec validated, validating
// it again starts no plugin, building it starts the plugin for the run
// only, and a cached rebuild starts none.
func TestValidateCleanStepStartsNoPluginTwice(t *testing.T) {
	dir := pluginProject(t, "diag", "1.0.0", diagplug(t), diagSpec(""))
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_DIAGPLUG_STARTS", starts)
	count := func() int {
		b, _ := os.ReadFile(starts)
		return strings.Count(string(b), "\n")
	}
	if code, _, errs := specRun(t, "validate", dir); code != 0 || count() == 0 {
		t.Fatalf("validate: exit %d, %d plugin starts\n%s", code, count(), errs)
	}
	first := count()
	for _, step := range []struct {
		name string
		args []string
		want int
	}{
		{"validate again", []string{"validate", dir}, first},
		{"build", []string{"build", dir}, first + 1},
		{"cached build", []string{"build", dir}, first + 1},
	} {
		if code, _, errs := ckptProc(t, nil, step.args...); code != 0 || count() != step.want {
			t.Fatalf("%s: exit %d, %d plugin starts, want %d\n%s", step.name, code, count(), step.want, errs)
		}
	}
	// A changed config is asked again.
	b, _ := os.ReadFile(filepath.Join(dir, "main.ckpt.hcl"))
	os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(strings.Replace(string(b), `"n"`, `"m"`, 1)), 0o644)
	if code, _, errs := specRun(t, "validate", dir); code != 0 || count() != first+2 {
		t.Errorf("validate of a changed spec: exit %d, %d plugin starts, want %d\n%s", code, count(), first+2, errs)
	}
}
