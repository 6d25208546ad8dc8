package plan_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

const pipelineSpec = `
model "dir" "base" {
  path = "."
  id   = "mistral-7b-instruct-v0.3"
}

model "dir" "other" {
  path = "."
  id   = "other"
}

adapter "peft" "support" {
  path = "."
  base = model.base
}

merge "lora" "support" {
  base     = model.base
  adapters = [adapter.support]
  dtype    = "bf16"
  id       = "${model.base.id}-support"
}

check "license" "release" {
  target = merge.support
  use    = "commercial"
}

check "runtime" "base" {
  target = model.base
}

check "runtime" "other" {
  target = model.other
}

check "runtime" "after" {
  target     = merge.support
  depends_on = [bundle.release]
}

eval "json" "format" {
  target      = merge.support
  predictions = "."
}

bundle "modelpack" "release" {
  from = merge.support
  name = "support"
}
`

func planSpec(t testing.TB, src string, r plan.Resolver) (*plan.Graph, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, diags := spec.Load(t.Context(), dir, spec.Options{})
	if sp == nil {
		return nil, diags
	}
	g, ds := plan.New(sp, r)
	ds = append(ds, g.PathWarnings(os.Stat)...)
	spec.SortDiags(ds)
	return g, append(diags, ds...)
}

func mustPlan(t testing.TB, src string) *plan.Graph {
	t.Helper()
	g, diags := planSpec(t, src, builtins(t))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return g
}

func addresses(g *plan.Graph) []string {
	var out []string
	for _, s := range g.Steps {
		out = append(out, s.Address)
	}
	return out
}

func TestGateEdges(t *testing.T) {
	g := mustPlan(t, pipelineSpec)
	var gates []string
	for _, e := range g.Step("bundle.release").Inputs {
		if e.Gate {
			if e.Attr != "gate" {
				t.Errorf("gate edge %+v has attr %q", e, e.Attr)
			}
			gates = append(gates, e.Step)
		}
	}
	// check.base targets model.base, upstream of the bundle; check.other
	// targets an unrelated model; check.after runs after the bundle.
	want := []string{"check.base", "check.release", "eval.format"}
	if !slices.Equal(gates, want) {
		t.Errorf("gates = %v, want %v", gates, want)
	}
}

func TestTopologicalOrder(t *testing.T) {
	g := mustPlan(t, pipelineSpec)
	want := []string{"model.base", "adapter.support", "check.base", "merge.support", "check.release",
		"eval.format", "bundle.release", "check.after", "model.other", "check.other"}
	if got := addresses(g); !slices.Equal(got, want) {
		t.Errorf("order = %v\nwant    %v", got, want)
	}
	pos := map[string]int{}
	for i, s := range g.Steps {
		pos[s.Address] = i
	}
	for _, s := range g.Steps {
		for _, e := range s.Inputs {
			if pos[e.Step] >= pos[s.Address] {
				t.Errorf("%s runs before its input %s", s.Address, e.Step)
			}
		}
	}
}

func TestCacheKeys(t *testing.T) {
	keys := func(src string) map[string]string {
		out := map[string]string{}
		for _, s := range mustPlan(t, src).Steps {
			out[s.Address] = s.Key
		}
		return out
	}
	k1, k2 := keys(pipelineSpec), keys(pipelineSpec)
	for a, k := range k1 {
		if !strings.HasPrefix(k, "sha256:") || len(k) != 71 {
			t.Errorf("%s: key %q", a, k)
		}
		if k2[a] != k {
			t.Errorf("%s: key not stable across runs (and folders): %s != %s", a, k, k2[a])
		}
	}
	// Formatting and comments do not change keys.
	k3 := keys(strings.ReplaceAll(pipelineSpec, "dtype    = \"bf16\"", "dtype = \"bf16\" # half"))
	if k3["merge.support"] != k1["merge.support"] {
		t.Error("a comment changed the merge key")
	}
	// A config change changes that step's key only.
	k4 := keys(strings.Replace(pipelineSpec, `"bf16"`, `"fp16"`, 1))
	if k4["merge.support"] == k1["merge.support"] {
		t.Error("changing dtype kept the merge key")
	}
	if k4["model.base"] != k1["model.base"] || k4["bundle.release"] != k1["bundle.release"] {
		t.Error("changing the merge changed other keys (inputs enter keys in the run engine)")
	}
}

func TestCacheKeyCoversPlugin(t *testing.T) {
	r := builtins(t)
	g1, _ := planSpec(t, pipelineSpec, r)
	for i := range r.cs {
		r.cs[i].Plugin.Digest = "sha256:" + strings.Repeat("1", 64)
	}
	g2, _ := planSpec(t, pipelineSpec, r)
	if g1.Step("model.base").Key == g2.Step("model.base").Key {
		t.Error("a different plugin binary kept the key")
	}
}

func TestConfig(t *testing.T) {
	g := mustPlan(t, pipelineSpec)
	m := g.Step("merge.support")
	if !m.Pending {
		t.Error("merge.support refers to model.base.id but is not pending")
	}
	if got := string(m.Config); got != `{"adapters":["adapter.support"],"base":"model.base","dtype":"bf16"}` {
		t.Errorf("config = %s", got)
	}
	b := g.Step("model.base")
	if b.Pending || b.OnFailure != "fail" || !slices.Equal(b.Paths, []string{g.Dir}) {
		t.Errorf("model.base = %+v", b)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b.Config, &cfg); err != nil || cfg["path"] != g.Dir {
		t.Errorf("model.base config %s: path is not the absolute spec folder", b.Config)
	}
	if g.Step("model.nope") != nil {
		t.Error("Step returned a step for an unknown address")
	}
}

func TestResolve(t *testing.T) {
	g := mustPlan(t, pipelineSpec)
	m := g.Step("merge.support")
	cfg, diags := g.Resolve(m, map[string]map[string]string{
		"model.base":      {"id": "mistral-7b", "digest": "sha256:aa"},
		"adapter.support": {"id": "support"},
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := `{"adapters":["adapter.support"],"base":"model.base","dtype":"bf16","id":"mistral-7b-support"}`
	if string(cfg) != want {
		t.Errorf("resolved config = %s\nwant %s", cfg, want)
	}
	_, diags = g.Resolve(m, map[string]map[string]string{"adapter.support": {}})
	if !diags.HasErrors() || diags[len(diags)-1].Summary != "Upstream output not known" {
		t.Errorf("resolve without model.base outputs: %v", diags)
	}
	// A step without references resolves to its planned config.
	b := g.Step("model.base")
	if cfg, diags := g.Resolve(b, nil); diags.HasErrors() || string(cfg) != string(b.Config) {
		t.Errorf("resolve model.base = %s, %v", cfg, diags)
	}
}

func TestReservedAttributes(t *testing.T) {
	g := mustPlan(t, `
model "dir" "a" {
  path = "."
  id   = "a"
}
model "dir" "b" {
  path       = "."
  id         = "b"
  timeout    = "90m"
  on_failure = "warn"
  depends_on = [model.a]
}
`)
	b := g.Step("model.b")
	if b.Timeout != "1h30m0s" || b.OnFailure != "warn" {
		t.Errorf("timeout %q on_failure %q", b.Timeout, b.OnFailure)
	}
	if len(b.Inputs) != 1 || b.Inputs[0] != (plan.Edge{Step: "model.a", Attr: "depends_on"}) {
		t.Errorf("inputs = %+v", b.Inputs)
	}
	if strings.Contains(string(b.Config), "depends_on") || strings.Contains(string(b.Config), "timeout") {
		t.Errorf("reserved attributes leaked into config %s", b.Config)
	}
}

func TestVariables(t *testing.T) {
	g := mustPlan(t, `
variable "b" { default = { x = [1, 2] } }
variable "a" {
  default   = "s3cret"
  sensitive = true
}
`)
	want := []plan.Variable{{Name: "a", Value: json.RawMessage(`"s3cret"`), Sensitive: true},
		{Name: "b", Value: json.RawMessage(`{"x":[1,2]}`)}}
	if len(g.Variables) != 2 {
		t.Fatalf("variables = %+v", g.Variables)
	}
	for i, v := range want {
		got := g.Variables[i]
		if got.Name != v.Name || string(got.Value) != string(v.Value) || got.Sensitive != v.Sensitive {
			t.Errorf("variable %d = %+v (%s), want %+v", i, got, got.Value, v)
		}
	}
}

// A plugin schema with nested blocks and every attribute type.
func TestNestedBlocks(t *testing.T) {
	r := builtins(t)
	id := r.cs[0].Plugin
	r.cs = append(r.cs, plan.Component{Plugin: id, Component: specv1.Component{Kind: "dataset", Type: "mix",
		Schema: specv1.Schema{
			Attributes: []specv1.Attribute{{Name: "weights", Type: specv1.TypeListNumber}, {Name: "tags", Type: specv1.TypeMapString}},
			Blocks: []specv1.Block{
				{Name: "source", List: true, Required: true, Schema: specv1.Schema{Attributes: []specv1.Attribute{
					{Name: "from", Type: specv1.TypeStep, Kinds: []string{"dataset"}, Required: true},
					{Name: "file", Type: specv1.TypePath},
				}}},
				{Name: "options", Schema: specv1.Schema{Attributes: []specv1.Attribute{{Name: "seed", Type: specv1.TypeNumber}}}},
			}}}})
	g, diags := planSpec(t, `
dataset "chat" "a" {
  train = "."
}
dataset "mix" "m" {
  weights = [0.5, 1]
  tags    = { team = "support" }
  source {
    from = dataset.a
    file = "x.jsonl"
  }
  source {
    from = dataset.a
  }
  options {
    seed = 7
  }
}
`, r)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	m := g.Step("dataset.m")
	want := `{"options":{"seed":7},"source":[{"file":"` + filepath.Join(g.Dir, "x.jsonl") + `","from":"dataset.a"},{"from":"dataset.a"}],"tags":{"team":"support"},"weights":[0.5,1]}`
	if string(m.Config) != want {
		t.Errorf("config = %s\nwant %s", m.Config, want)
	}
	if len(m.Inputs) != 1 || m.Inputs[0] != (plan.Edge{Step: "dataset.a", Attr: "source"}) {
		t.Errorf("inputs = %+v", m.Inputs)
	}
}

func TestInvalidPluginSchema(t *testing.T) {
	for _, s := range []specv1.Schema{
		{Attributes: []specv1.Attribute{{Name: "x", Type: "tuple"}}},
		{Attributes: []specv1.Attribute{{Name: "timeout", Type: specv1.TypeString}}},
		{Attributes: []specv1.Attribute{{Name: "x", Type: specv1.TypeString}, {Name: "x", Type: specv1.TypeString}}},
		{Blocks: []specv1.Block{{Name: "b", Schema: specv1.Schema{Attributes: []specv1.Attribute{{Name: "y", Type: "?"}}}}}},
	} {
		if _, err := plan.DecoderSpec(s); err == nil {
			t.Errorf("schema %+v accepted", s)
		}
		r := resolver{cs: []plan.Component{{Component: specv1.Component{Kind: "model", Type: "odd", Schema: s}}}}
		_, diags := planSpec(t, `model "odd" "x" {}`, r)
		if len(diags) != 1 || diags[0].Summary != "Invalid plugin schema" {
			t.Errorf("diags = %v", diags)
		}
	}
}
