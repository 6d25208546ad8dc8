package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// scope is what step bodies may refer to: var.*, local.*, functions and
// the outputs of every step (KIND.NAME.ATTR).
type scope struct {
	sp *spec.Spec
	// outputs lists each step's output names by address.
	outputs map[string][]string
	// planCtx is the context with every output unknown and no patches,
	// built once.
	planCtx *hcl.EvalContext
}

func newScope(sp *spec.Spec) *scope { return &scope{sp: sp, outputs: map[string][]string{}} }

func (sc *scope) addStep(addr string, c specv1.Component) {
	outs := slices.Concat(specv1.CoreOutputs(), c.Outputs)
	slices.Sort(outs)
	sc.outputs[addr] = slices.Compact(outs)
}

// ctx builds an evaluation context. Outputs of steps in known are known
// (a missing attribute is ""); all others are unknown. Each patch is a
// reference already reported as invalid: it evaluates to an unknown value
// so that HCL does not report it a second time.
func (sc *scope) ctx(known map[string]map[string]string, patches []hcl.Traversal) *hcl.EvalContext {
	if known == nil && len(patches) == 0 {
		if sc.planCtx == nil {
			sc.planCtx = sc.build(nil, nil)
		}
		return sc.planCtx
	}
	return sc.build(known, patches)
}

func (sc *scope) build(known map[string]map[string]string, patches []hcl.Traversal) *hcl.EvalContext {
	base := sc.sp.EvalContext()
	roots := map[string]map[string]map[string]cty.Value{}
	for _, k := range specv1.Kinds() {
		roots[k] = map[string]map[string]cty.Value{}
	}
	for addr, outs := range sc.outputs {
		kind, name, _ := strings.Cut(addr, ".")
		attrs := map[string]cty.Value{}
		for _, o := range outs {
			attrs[o] = cty.UnknownVal(cty.String)
			if m, ok := known[addr]; ok {
				attrs[o] = cty.StringVal(m[o])
			}
		}
		roots[kind][name] = attrs
	}
	vars := map[string]cty.Value{"var": base.Variables["var"], "local": base.Variables["local"]}
	for _, t := range patches {
		patch(vars, roots, t)
	}
	for k, names := range roots {
		objs := map[string]cty.Value{}
		for n, attrs := range names {
			objs[n] = cty.ObjectVal(attrs)
			if attrs == nil {
				objs[n] = cty.DynamicVal
			}
		}
		vars[k] = cty.ObjectVal(objs)
	}
	return &hcl.EvalContext{Variables: vars, Functions: base.Functions}
}

func patch(vars map[string]cty.Value, roots map[string]map[string]map[string]cty.Value, t hcl.Traversal) {
	name, attr := traversalNames(t)
	root := t.RootName()
	if root == "var" || root == "local" {
		m := vars[root].AsValueMap()
		if m == nil {
			m = map[string]cty.Value{}
		}
		m[name] = cty.DynamicVal
		vars[root] = cty.ObjectVal(m)
		return
	}
	steps, ok := roots[root]
	if !ok || name == "" {
		return
	}
	if _, ok := steps[name]; !ok || attr == "" {
		steps[name] = nil
		return
	}
	if steps[name] != nil {
		steps[name][attr] = cty.DynamicVal
	}
}

// traversalNames returns the first two attribute names after the root.
func traversalNames(t hcl.Traversal) (name, attr string) {
	if len(t) > 1 {
		if a, ok := t[1].(hcl.TraverseAttr); ok {
			name = a.Name
		}
	}
	if len(t) > 2 {
		if a, ok := t[2].(hcl.TraverseAttr); ok {
			attr = a.Name
		}
	}
	return name, attr
}

// check reports an invalid reference: an undeclared variable, local, step
// or step output. It returns nil for valid references and for roots it
// does not know (HCL reports those).
func (sc *scope) check(t hcl.Traversal) *hcl.Diagnostic {
	if d := sc.sp.CheckReference(t, nil); d != nil {
		return d
	}
	kind := t.RootName()
	if !slices.Contains(specv1.Kinds(), kind) {
		return nil
	}
	name, attr := traversalNames(t)
	rng := t.SourceRange().Ptr()
	if name == "" {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference",
			Detail: fmt.Sprintf("A step reference is %s.NAME or %s.NAME.ATTR.", kind, kind), Subject: rng}
	}
	outs, ok := sc.outputs[kind+"."+name]
	if !ok {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared step",
			Detail:  fmt.Sprintf("No %s step named %q is defined.%s", kind, name, didYouMean(name, sc.names(kind), kind+".")),
			Subject: rng}
	}
	if attr != "" && !slices.Contains(outs, attr) {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared step output",
			Detail: fmt.Sprintf("Step %s.%s has no output %q.%s Its outputs are: %s.", kind, name, attr,
				didYouMean(attr, outs, ""), strings.Join(outs, ", ")),
			Subject: rng}
	}
	return nil
}

func (sc *scope) names(kind string) []string {
	var out []string
	for addr := range sc.outputs {
		if k, n, _ := strings.Cut(addr, "."); k == kind {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// didYouMean suggests the closest candidate, or "".
func didYouMean(given string, candidates []string, prefix string) string {
	c := closest(given, candidates)
	if c == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %s%s?", prefix, c)
}

// closest returns the candidate within edit distance 2 of given, or "".
func closest(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
