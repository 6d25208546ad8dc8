package plan_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files of specs/testdata")

const testdata = "../../specs/testdata"

// resolver serves the built-in schemas recorded in specs/testdata/components.json.
type resolver struct{ cs []plan.Component }

func (r resolver) Resolve(kind, typ string) (plan.Component, bool) {
	for _, c := range r.cs {
		if c.Kind == kind && c.Type == typ {
			return c, true
		}
	}
	return plan.Component{}, false
}

func (r resolver) Components() []plan.Component { return r.cs }

func builtins(t testing.TB) resolver {
	b, err := os.ReadFile(filepath.Join(testdata, "components.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []specv1.Component
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatal(err)
	}
	id := plan.PluginID{Name: "builtin", Version: "test", Digest: "sha256:" + strings.Repeat("0", 64)}
	var r resolver
	for _, c := range cs {
		r.cs = append(r.cs, plan.Component{Component: c, Plugin: id})
	}
	return r
}

// load loads and plans a case folder. A case may hold vars.txt (one
// NAME=VALUE per line, given as --var), *.vars.hcl (given as --var-file)
// and env.txt (environment lines).
func load(t testing.TB, dir string) (*plan.Graph, hcl.Diagnostics) {
	opts := spec.Options{Version: "0.1.0"}
	opts.Vars = lines(t, filepath.Join(dir, "vars.txt"))
	opts.Env = lines(t, filepath.Join(dir, "env.txt"))
	files, _ := filepath.Glob(filepath.Join(dir, "*.vars.hcl"))
	opts.VarFiles = files
	sp, diags := spec.Load(t.Context(), dir, opts)
	if sp == nil {
		return nil, diags
	}
	g, ds := plan.New(sp, builtins(t))
	ds = append(ds, g.PathWarnings(os.Stat)...)
	spec.SortDiags(ds)
	return g, append(diags, ds...)
}

func lines(t testing.TB, path string) []string {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestGolden runs every case of specs/testdata: diags.golden lists the
// expected diagnostics (severity, file:line:col-line:col, summary) and,
// for cases without errors, plan.golden the planned steps.
func TestGolden(t *testing.T) {
	entries, err := os.ReadDir(testdata)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join(testdata, e.Name())
			g, diags := load(t, dir)
			golden(t, filepath.Join(dir, "diags.golden"), formatDiags(dir, diags))
			if !diags.HasErrors() {
				golden(t, filepath.Join(dir, "plan.golden"), formatPlan(g))
			}
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pipeline/plan -run TestGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func formatDiags(dir string, diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		where := "-"
		if r := d.Subject; r != nil {
			name, err := filepath.Rel(dir, r.Filename)
			if err != nil {
				name = r.Filename
			}
			where = fmt.Sprintf("%s:%d:%d-%d:%d", filepath.ToSlash(name), r.Start.Line, r.Start.Column, r.End.Line, r.End.Column)
		}
		fmt.Fprintf(&b, "%s %s %s\n", sev, where, d.Summary)
	}
	return b.String()
}

func formatPlan(g *plan.Graph) string {
	var b strings.Builder
	for _, s := range g.Steps {
		fmt.Fprintf(&b, "%s %s %q", s.Address, s.Kind, s.Type)
		if s.Pending {
			b.WriteString(" pending")
		}
		fmt.Fprintf(&b, "\n  key %s\n  config %s\n", s.Key, relConfig(g.Dir, s.Config))
		var ins []string
		for _, e := range s.Inputs {
			in := e.Step + " (" + e.Attr + ")"
			ins = append(ins, in)
		}
		sort.Strings(ins)
		for _, in := range ins {
			fmt.Fprintf(&b, "  needs %s\n", in)
		}
	}
	return b.String()
}

// relConfig replaces the spec folder in a config by "$DIR" so that
// goldens do not depend on the checkout's location.
func relConfig(dir string, cfg json.RawMessage) string {
	return strings.ReplaceAll(string(cfg), dir, "$DIR")
}
