package spec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

// The three specs of issue 16 that crashed ckpt: a stack overflow, memory
// exhausted by doubling strings, 6.8 GB for a list of 10M numbers.
func deepParens() string {
	return "locals { x = " + strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000) + " }\n"
}

func doublingLocals() string {
	var b strings.Builder
	b.WriteString("locals {\n  a0 = \"xy\"\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "  a%d = \"${local.a%d}${local.a%d}\"\n", i, i-1, i-1)
	}
	b.WriteString("}\n")
	return b.String()
}

func hugeList() string {
	return "locals { x = [" + strings.Repeat("1,", 10_000_000) + "1] }\n"
}

// loadResult is what the child process reports about one load.
type loadResult struct {
	Diags []string `json:"diags"`
}

// TestLoadChild loads the spec at $CKPT_TEST_LOAD in a child process of
// TestCrashSpecs, under an address-space limit so that a runaway load
// fails fast instead of swapping the machine. It prints the diagnostics
// as JSON on stdout.
func TestLoadChild(t *testing.T) {
	dir := os.Getenv("CKPT_TEST_LOAD")
	if dir == "" {
		t.Skip("run by TestCrashSpecs")
	}
	lim := &syscall.Rlimit{Cur: 8 << 30, Max: 8 << 30}
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, lim); err != nil {
		t.Fatal(err)
	}
	_, diags := spec.Load(context.Background(), dir, spec.Options{})
	var r loadResult
	for _, d := range diags {
		r.Diags = append(r.Diags, fmt.Sprintf("%s|%s|%s", rangeOf(d), d.Summary, d.Detail))
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		t.Fatal(err)
	}
}

func rangeOf(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return ""
	}
	return fmt.Sprintf("%d:%d", d.Subject.Start.Line, d.Subject.Start.Column)
}

// TestCrashSpecs loads each crash spec in a child process and checks that
// it ends quickly, within bounded memory, with a limit diagnostic at the
// place the limit is crossed, and without a stack trace.
func TestCrashSpecs(t *testing.T) {
	const maxRSS = 256 << 20
	cases := []struct {
		name, src, at, detail string
	}{
		{"deep parens", deepParens(), "1:113", "nest at most 100 levels"},
		{"doubling locals", doublingLocals(), "25:9", "local.a23 is too large"},
		{"10M numbers", hugeList(), "1:1", "larger than 256 KiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLoadChild$", "-test.v=false")
			cmd.Env = append(os.Environ(), "CKPT_TEST_LOAD="+dir)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			start := time.Now()
			out, err := cmd.Output()
			took := time.Since(start)
			if err != nil {
				t.Fatalf("load failed after %s: %v\n%s", took, err, tail(stderr.String()))
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			t.Logf("%s: %s, max RSS %d MiB", c.name, took.Round(time.Millisecond), rss>>20)
			if rss > maxRSS {
				t.Errorf("max RSS %d MiB, want at most %d MiB", rss>>20, maxRSS>>20)
			}
			if took > 20*time.Second {
				t.Errorf("took %s", took)
			}
			var r loadResult
			line, _, _ := strings.Cut(string(out), "\n")
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("child output %q: %v", line, err)
			}
			want := c.at + "|Spec exceeds a limit|"
			if len(r.Diags) == 0 || !strings.HasPrefix(r.Diags[0], want) || !strings.Contains(r.Diags[0], c.detail) {
				t.Errorf("diagnostics %q, want the first %q…%q", r.Diags, want, c.detail)
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// TestLimits loads small specs that cross one limit each: every one gets a
// limit diagnostic at the place it is crossed, quickly.
func TestLimits(t *testing.T) {
	r := strings.Repeat
	chain := func(n int, f string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, f, i+1, i)
		}
		return b.String()
	}
	cases := []struct {
		name, src string
		vars      []string
		at        string // line:column of the subject
		detail    string
	}{
		{"operators", "locals { x = " + r("1+", 200) + "1 }\n", nil, "1:213", "nest at most 100"},
		{"unary", "locals { x = " + r("!", 200) + "true }\n", nil, "1:113", "nest at most 100"},
		{"ternaries", "locals { x = " + r("true ? 1 : ", 200) + "1 }\n", nil, "1:1108", "nest at most 100"},
		{"templates", "locals { x = " + r(`"${`, 150) + `"x"` + r(`}"`, 150) + " }\n", nil, "1:162", "nest at most 100"},
		{"directives", `locals { x = "` + r("%{if true}", 150) + "x" + r("%{endif}", 150) + "\" }\n", nil, "1:985", "nest at most 100"},
		{"index chain", "locals {\n  l = [1]\n  x = local.l" + r("[0]", 200) + "\n}\n", nil, "3:308", "nest at most 100"},
		{"number literal", "locals { x = 1e999999999 }\n", nil, "1:14", "at most 1000 decimal digits"},
		{"number digits", "locals { x = " + r("9", 1001) + " }\n", nil, "1:14", "at most 1000 decimal digits"},
		{"number in a template", "locals {\n  a = 1e900\n  b = \"${local.a * local.a}\"\n}\n", nil, "3:10", "at most 1000 decimal digits"},
		{"number local", "locals {\n  a = 1e900\n  b = local.a * local.a\n}\n", nil, "3:7", "local.b is too large"},
		{"nested for", "locals { x = [for a in range(1000): [for b in range(1000): [for c in range(1000): c]]] }\n", nil, "1:", "for-expressions may run"},
		{"range", "locals { x = range(1e9) }\n", nil, "1:14", "range is refused"},
		{"setproduct", "locals { x = setproduct(range(1000), range(1000)) }\n", nil, "1:14", "setproduct is refused"},
		{"split", "locals {\n  s = join(\"\", [for i in range(1000): \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"])\n  x = split(\"\", local.s)\n}\n", nil, "3:7", "split is refused"},
		{"join separator", "locals {\n  s = join(\"\", [for i in range(1000): \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"])\n  x = join(local.s, range(1000))\n}\n", nil, "3:7", "join is refused"},
		{"replace", "locals {\n  s = join(\"\", [for i in range(1000): \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"])\n  x = replace(local.s, \"a\", local.s)\n}\n", nil, "3:7", "replace is refused"},
		{"indent", "locals {\n  s = join(\"\\n\", range(1000))\n  x = indent(20000, local.s)\n}\n", nil, "3:7", "indent is refused"},
		{"format width", "locals { x = format(\"%999999999d\", 1) }\n", nil, "1:14", "format is refused"},
		{"jsondecode depth", "locals { x = jsondecode(\"" + r("[", 200) + r("]", 200) + "\") }\n", nil, "1:14", "jsondecode is refused"},
		{"value depth", "locals {\n  a0 = [1]\n" + chain(150, "  a%d = [local.a%d]\n") + "}\n", nil, "102:10", "local.a100 is too large: values may nest"},
		{"var expression", "variable \"x\" { type = list(number) }\n", []string{"x=" + r("[", 200) + r("]", 200)}, "", "nest at most 100"},
		{"var value", "variable \"x\" { type = string }\n", []string{"x=" + r("x", 17<<20)}, "1:1", "var.x is too large"},
		{"var length", "variable \"x\" { type = list(number) }\n", []string{"x=[" + r("1,", 1<<19) + "1]"}, "", "larger than 256 KiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := write(t, map[string]string{"main.ckpt.hcl": c.src})
			start := time.Now()
			_, diags := spec.Load(t.Context(), dir, spec.Options{Vars: c.vars})
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s", took)
			}
			for _, d := range diags {
				if d.Summary == "Spec exceeds a limit" && strings.Contains(d.Detail, c.detail) && strings.HasPrefix(rangeOf(d), c.at) {
					return
				}
			}
			t.Errorf("want a limit diagnostic at %q with %q, got:\n%s", c.at, c.detail, describe(diags))
		})
	}
}

func describe(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "  %s: %s: %s\n", rangeOf(d), d.Summary, d.Detail)
	}
	return b.String()
}

// TestWithinLimits loads a spec near what a large real one needs: nothing
// is refused.
func TestWithinLimits(t *testing.T) {
	src := "locals {\n  x = " + strings.Repeat("(", 50) + "1" + strings.Repeat(")", 50) + "\n" +
		"  l = [for i in range(1000): { id = \"adapter-${i}\", w = i / 1000 }]\n" +
		"  s = join(\",\", [for e in local.l: e.id])\n" +
		"  j = jsondecode(jsonencode(local.l))\n" +
		"  n = 1e300 * 1e300\n}\n"
	_, diags := spec.Load(t.Context(), write(t, map[string]string{"main.ckpt.hcl": src}), spec.Options{})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
}

// TestSourceLimits: too many tokens, too many bytes in all, a var file too
// large.
func TestSourceLimits(t *testing.T) {
	list := func(n int) string { return "locals { x = [" + strings.Repeat("1,", n) + "1] }\n" }
	files := map[string]string{}
	for i := range 5 {
		files[fmt.Sprintf("f%d.ckpt.hcl", i)] = "# " + strings.Repeat("x", 250<<10) + "\n"
	}
	cases := []struct {
		name     string
		files    map[string]string
		varFiles []string
		file     string
		detail   string
	}{
		{"tokens", map[string]string{"main.ckpt.hcl": list(60_000)}, nil, "main.ckpt.hcl", "at most 100000 tokens"},
		{"bytes", files, nil, "f4.ckpt.hcl", "larger than 1 MiB together"},
		{"var file", map[string]string{"main.ckpt.hcl": "variable \"x\" {}\n", "big.hcl": "x = \"" + strings.Repeat("x", 300<<10) + "\"\n"},
			[]string{"big.hcl"}, "big.hcl", "larger than 256 KiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := write(t, c.files)
			var vf []string
			for _, f := range c.varFiles {
				vf = append(vf, filepath.Join(dir, f))
			}
			_, diags := spec.Load(t.Context(), dir, spec.Options{VarFiles: vf})
			for _, d := range diags {
				if d.Summary == "Spec exceeds a limit" && strings.Contains(d.Detail, c.detail) && d.Subject != nil && filepath.Base(d.Subject.Filename) == c.file {
					return
				}
			}
			t.Errorf("want a limit diagnostic in %s with %q, got:\n%s", c.file, c.detail, describe(diags))
		})
	}
}

// A guarded function called with too few arguments is refused as the
// function itself refuses it (found by FuzzPlanExpressions: range()).
func TestGuardedFunctionWithoutArguments(t *testing.T) {
	dir := write(t, map[string]string{"main.ckpt.hcl": "locals { x = range() }\n"})
	_, diags := spec.Load(t.Context(), dir, spec.Options{})
	if !diags.HasErrors() || !strings.Contains(describe(diags), "must have one, two, or three arguments") || strings.Contains(describe(diags), "panic") {
		t.Errorf("range(): %s", describe(diags))
	}
}
