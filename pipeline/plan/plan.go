package plan

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

// lister is implemented by resolvers that can list their components; the
// planner uses it to suggest a type when one is unknown.
type lister interface {
	Components() []Component
}

// New plans a loaded spec: it resolves every step's component, decodes its
// body, builds the DAG with gate edges, orders it and computes cache keys.
// It returns the graph even when there are errors, as far as it got.
func New(sp *spec.Spec, r Resolver) (*Graph, hcl.Diagnostics) {
	g := &Graph{Dir: sp.Dir, Digest: sp.Digest, Cache: sp.Required.Cache, index: map[string]*Step{}, scope: newScope(sp)}
	g.Variables = variables(sp)
	var diags hcl.Diagnostics
	var steps []*Step
	for i, s := range sp.Steps {
		st := &Step{Address: s.Address(), Kind: s.Kind, Type: s.Type, Name: s.Name,
			DefRange: s.DefRange, body: s.Body, order: i, refs: map[string]hcl.Range{}}
		g.index[st.Address] = st
		steps = append(steps, st)
		c, ok := r.Resolve(s.Kind, s.Type)
		if !ok {
			diags = append(diags, unknownType(s, r))
			g.scope.addStep(st.Address, c.Component)
			continue
		}
		st.Component = c
		g.scope.addStep(st.Address, c.Component)
		spec, err := stepSpec(c.Schema)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin schema",
				Detail:  fmt.Sprintf("Plugin %s declares an invalid schema for %s %q: %s.", c.Plugin.Name, s.Kind, s.Type, err),
				Subject: s.TypeRange.Ptr()})
			continue
		}
		st.spec = spec
	}
	for _, st := range steps {
		if st.spec != nil {
			ds := g.plan(st)
			st.invalid = ds.HasErrors()
			diags = append(diags, ds...)
		}
	}
	diags = append(diags, g.addGates(steps)...)
	order, ds := g.order(steps)
	g.Steps = order
	g.collectSecrets(sp, steps)
	diags = append(diags, ds...)
	if len(g.secrets) > 0 {
		for _, d := range diags {
			d.Summary, d.Detail = g.Redact(d.Summary), g.Redact(d.Detail)
			d.EvalContext = nil // it holds the sensitive values
		}
	}
	spec.SortDiags(diags)
	return g, diags
}

// plan decodes one step and fills in its config, edges and key.
func (g *Graph) plan(st *Step) hcl.Diagnostics {
	d, diags := g.decodeStep(st, nil)
	cfg, err := canonical(d.config)
	if err != nil {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot encode config",
			Detail: fmt.Sprintf("%s: %s", st.Address, err), Subject: st.DefRange.Ptr()})
	}
	st.Config, st.Pending, st.Paths, st.pathRanges = cfg, d.pending, d.paths, d.pathRanges
	st.Timeout, st.OnFailure = d.timeout, d.onFailure
	st.Sensitive, st.secrets = d.sensitive, d.secrets
	for _, e := range d.edges {
		st.addEdge(Edge{Step: e.addr, Attr: e.attr}, e.rng)
	}
	keyCfg, err := canonical(keyConfig(st.Component.Schema, d.config, g.Dir))
	if err == nil {
		st.Key, err = key(st.Component.Plugin, st.Kind, st.Type, keyCfg)
	}
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot compute cache key",
			Detail: fmt.Sprintf("%s: %s", st.Address, err), Subject: st.DefRange.Ptr()})
	}
	return diags
}

// addEdge adds an edge once per (step, attr), keeping the first reference's range.
func (st *Step) addEdge(e Edge, rng hcl.Range) {
	if slices.ContainsFunc(st.Inputs, func(x Edge) bool { return x.Step == e.Step && x.Attr == e.Attr }) {
		return
	}
	st.Inputs = append(st.Inputs, e)
	if _, ok := st.refs[e.Step]; !ok && rng.Filename != "" {
		st.refs[e.Step] = rng
	}
}

func unknownType(s *spec.Step, r Resolver) *hcl.Diagnostic {
	var types []string
	if l, ok := r.(lister); ok {
		for _, c := range l.Components() {
			if c.Kind == s.Kind {
				types = append(types, c.Type)
			}
		}
	}
	slices.Sort(types)
	detail := fmt.Sprintf("No plugin provides %s %q.", s.Kind, s.Type)
	if c := closest(s.Type, types); c != "" {
		detail += fmt.Sprintf(" Did you mean %q?", c)
	}
	if len(types) > 0 {
		detail += fmt.Sprintf(" Known %s types: %s.", s.Kind, joinQuoted(types))
	}
	detail += " A plugin's step types are available once it is listed in required_plugins and installed with ckpt init."
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step type", Detail: detail, Subject: s.TypeRange.Ptr()}
}

func joinQuoted(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", x)
	}
	return out
}

// variables lists the spec's variables with their JSON values.
func variables(sp *spec.Spec) []Variable {
	var out []Variable
	for _, v := range sp.Variables {
		raw := json.RawMessage("null")
		if val, _ := v.Value.UnmarkDeep(); val.IsWhollyKnown() {
			if b, err := ctyjson.Marshal(val, val.Type()); err == nil {
				raw = b
			}
		}
		out = append(out, Variable{Name: v.Name, Value: raw, Sensitive: v.Sensitive})
	}
	return out
}
