package plan_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// probeSpec has one of every construct a diagnostic path can lead into.
const probeSpec = `variable "limits" {
  default = { a = 1 }
}

model "src" "m" {
  id = "m1"
}

check "probe" "x" {
  name    = "hello"
  list    = ["a", "b", "c"]
  obj     = { alpha = 1, "beta" = { deep = [10, 20] }, 7 = "seven" }
  viavar  = var.limits
  target  = model.m
  timeout = "5m"
  shard {
    size = "1GB"
  }
  shard {
    size = "2GB"
  }
  single {
    flag = true
  }
}

check "probe" "later" {
  name   = model.m.id
  target = model.m
}
`

// probeResolver provides check "probe" and model "src".
func probeResolver() resolver {
	id := plan.PluginID{Name: "probes", Version: "1", Digest: "sha256:" + strings.Repeat("1", 64)}
	probe := specv1.Component{Kind: "check", Type: "probe", Schema: specv1.Schema{
		Attributes: []specv1.Attribute{
			{Name: "name", Type: specv1.TypeString},
			{Name: "list", Type: specv1.TypeListString},
			{Name: "obj", Type: specv1.TypeAny},
			{Name: "viavar", Type: specv1.TypeAny},
			{Name: "target", Type: specv1.TypeStep},
		},
		Blocks: []specv1.Block{
			{Name: "shard", List: true, Schema: specv1.Schema{Attributes: []specv1.Attribute{{Name: "size", Type: specv1.TypeString}}}},
			{Name: "single", Schema: specv1.Schema{Attributes: []specv1.Attribute{{Name: "flag", Type: specv1.TypeBool}}}},
		},
	}}
	src := specv1.Component{Kind: "model", Type: "src", Schema: specv1.Schema{Attributes: []specv1.Attribute{{Name: "id", Type: specv1.TypeString}}}}
	return resolver{cs: []plan.Component{{Component: probe, Plugin: id}, {Component: src, Plugin: id}}}
}

// source returns the text of rng and its start line.
func source(t testing.TB, rng hcl.Range) string {
	t.Helper()
	b, err := os.ReadFile(rng.Filename)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d:%s", rng.Start.Line, b[rng.Start.Byte:rng.End.Byte])
}

func TestPathRange(t *testing.T) {
	g, diags := planSpec(t, probeSpec, probeResolver())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	st := g.Step("check.x")
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"name"}, `10:"hello"`},
		{[]string{"list"}, `11:["a", "b", "c"]`},
		{[]string{"list", "1"}, `11:"b"`},
		{[]string{"list", "3"}, `11:["a", "b", "c"]`},  // out of range: the list
		{[]string{"list", "-1"}, `11:["a", "b", "c"]`}, // negative: the list
		{[]string{"list", "x"}, `11:["a", "b", "c"]`},  // not an index: the list
		{[]string{"obj", "alpha"}, `12:alpha`},
		{[]string{"obj", "beta"}, `12:"beta"`},
		{[]string{"obj", "beta", "deep", "1"}, `12:20`},
		{[]string{"obj", "beta", "deep", "1", "more"}, `12:20`},
		{[]string{"obj", "7"}, `12:7`},
		{[]string{"obj", "gamma"}, `12:{ alpha = 1, "beta" = { deep = [10, 20] }, 7 = "seven" }`},
		{[]string{"viavar", "a"}, `13:var.limits`}, // not literal: the expression
		{[]string{"target"}, `14:model.m`},
		{[]string{"timeout"}, `15:"5m"`},
		{[]string{"shard"}, `16:shard`},
		{[]string{"shard", "1"}, `19:shard`},
		{[]string{"shard", "1", "size"}, `20:"2GB"`},
		{[]string{"shard", "0", "nope"}, `16:shard`},
		{[]string{"shard", "9", "size"}, `16:shard`},
		{[]string{"single", "flag"}, `23:true`},
		{[]string{"single"}, `22:single`},
		{[]string{"bogus"}, `9:check "probe" "x"`}, // unknown: the header
		{[]string{"on_failure"}, `9:check "probe" "x"`},
		{nil, `9:check "probe" "x"`},
		{[]string{""}, `9:check "probe" "x"`},
	} {
		t.Run(strings.Join(tc.path, "."), func(t *testing.T) {
			if got := source(t, st.PathRange(tc.path)); got != tc.want {
				t.Errorf("PathRange(%q) = %s, want %s", tc.path, got, tc.want)
			}
		})
	}
}

// validatorFunc adapts a function to plan.Validator.
type validatorFunc func(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error)

func (f validatorFunc) Validate(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	return f(ctx, c, req)
}

func TestGraphValidate(t *testing.T) {
	g, diags := planSpec(t, probeSpec, probeResolver())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var asked []string
	v := validatorFunc(func(_ context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
		asked = append(asked, req.Step)
		if c.Plugin.Name != "probes" || req.Kind != c.Kind || req.Type != c.Type || len(req.Inputs) != 0 {
			t.Errorf("request %+v for component %+v", req, c)
		}
		if req.Step == "model.m" {
			return nil, nil
		}
		if !strings.Contains(string(req.Config), `"target":"model.m"`) {
			t.Errorf("config = %s", req.Config)
		}
		return []specv1.Diagnostic{
			{Severity: specv1.SeverityWarning, Summary: "shard two is big", Detail: "Really.", Path: []string{"shard", "1", "size"}},
			{Severity: "fatal", Summary: "bad name", Path: []string{"name"}},
			{Severity: specv1.SeverityError},
		}, nil
	})
	got := g.Validate(t.Context(), v)
	// check.later is pending (its name is model.m's output): not asked.
	if strings.Join(asked, ",") != "model.m,check.x" {
		t.Errorf("validated %v", asked)
	}
	var lines []string
	for _, d := range got {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		lines = append(lines, fmt.Sprintf("%s %s %q %q", sev, source(t, *d.Subject), d.Summary, d.Detail))
	}
	want := []string{
		`error 9:check "probe" "x" "Invalid check.x configuration" ""`,
		`error 10:"hello" "bad name" ""`,
		`warning 20:"2GB" "shard two is big" "Really."`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestGraphValidateSkipsInvalidSteps(t *testing.T) {
	src := strings.Replace(probeSpec, `name    = "hello"`, `name    = ["not", "a", "string"]`, 1)
	g, diags := planSpec(t, src, probeResolver())
	if !diags.HasErrors() {
		t.Fatal("want a planning error")
	}
	var asked []string
	got := g.Validate(t.Context(), validatorFunc(func(_ context.Context, _ plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
		asked = append(asked, req.Step)
		return nil, nil
	}))
	if len(got) != 0 || strings.Join(asked, ",") != "model.m" {
		t.Errorf("validated %v, diagnostics %v", asked, got)
	}
}

func TestGraphValidatePluginError(t *testing.T) {
	g, _ := planSpec(t, probeSpec, probeResolver())
	got := g.Validate(t.Context(), validatorFunc(func(context.Context, plan.Component, *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
		return nil, errors.New("plugin probes crashed")
	}))
	if len(got) != 2 {
		t.Fatalf("diagnostics %v", got)
	}
	d := got[1]
	if d.Summary != "Cannot validate step" || source(t, *d.Subject) != `9:check "probe" "x"` ||
		d.Detail != "Plugin probes could not validate check.x: plugin probes crashed." {
		t.Errorf("diagnostic %+v", d)
	}
}

func TestGraphValidateCancelled(t *testing.T) {
	g, _ := planSpec(t, probeSpec, probeResolver())
	ctx, cancel := context.WithCancel(t.Context())
	got := g.Validate(ctx, validatorFunc(func(context.Context, plan.Component, *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
		cancel()
		return nil, nil
	}))
	if len(got) != 1 || got[0].Summary != "Validation interrupted" || !strings.Contains(got[0].Detail, "check.x") {
		t.Errorf("diagnostics %v", got)
	}
}

// FuzzPathRange maps arbitrary plugin-reported paths: a path is untrusted
// plugin output; the range must always lie inside the spec file.
func FuzzPathRange(f *testing.F) {
	for _, s := range []string{"name", "list/1", "obj/beta/deep/1", "shard/1/size", "single/flag", "viavar/a", "", "obj/7", "list/99999999999999999999"} {
		f.Add(s)
	}
	g, _ := planSpec(f, probeSpec, probeResolver())
	st := g.Step("check.x")
	f.Fuzz(func(t *testing.T, p string) {
		rng := st.PathRange(strings.Split(p, "/"))
		if rng.Start.Byte < 0 || rng.End.Byte > len(probeSpec) || rng.Start.Byte > rng.End.Byte {
			t.Errorf("PathRange(%q) = %v", p, rng)
		}
	})
}
