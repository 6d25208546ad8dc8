package plan

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// walker turns a decoded cty value into the config JSON tree, checking
// step references and resolving paths on the way.
type walker struct {
	g     *Graph
	st    *Step
	d     *decoded
	diags hcl.Diagnostics
}

// object converts a decoded object; unset (null) attributes are omitted,
// unknown ones too (the step is then pending).
func (w *walker) object(s specv1.Schema, val cty.Value, prefix []string) map[string]any {
	out := map[string]any{}
	top := len(prefix) == 0
	if val.IsNull() || !val.IsKnown() {
		return out
	}
	for _, a := range s.Attributes {
		v := val.GetAttr(a.Name)
		if v.IsNull() {
			continue
		}
		v = w.sensitive(a, v, prefix)
		if x, ok := w.attr(a, v, top); ok {
			out[a.Name] = x
		}
	}
	for _, b := range s.Blocks {
		v := val.GetAttr(b.Name)
		if v.IsNull() || !v.IsKnown() {
			continue
		}
		if !b.List {
			out[b.Name] = w.object(b.Schema, v, append(slices.Clone(prefix), b.Name))
			continue
		}
		list := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			list = append(list, w.object(b.Schema, ev, append(slices.Clone(prefix), b.Name, strconv.Itoa(len(list)))))
		}
		out[b.Name] = list
	}
	return out
}

func (w *walker) attr(a specv1.Attribute, v cty.Value, top bool) (any, bool) {
	if !v.IsKnown() && (a.Type == specv1.TypeStep || a.Type == specv1.TypeSteps) {
		return nil, false // a decoding error, already reported
	}
	switch a.Type {
	case specv1.TypeStep:
		addr, ok := w.stepRef(a, customdecode.ExpressionFromVal(v))
		return addr, ok
	case specv1.TypeSteps:
		return w.stepList(a, v), true
	}
	if !v.IsWhollyKnown() {
		w.d.pending = true
		return nil, false
	}
	if a.Type == specv1.TypePath {
		return w.path(a.Name, v.AsString(), top), true
	}
	return toJSON(v), true
}

// stepRef reads a KIND.NAME traversal, checking the kinds a allows.
func (w *walker) stepRef(a specv1.Attribute, expr hcl.Expression) (string, bool) {
	t, diags := hcl.AbsTraversalForExpr(expr)
	kind, name := "", ""
	if !diags.HasErrors() && len(t) == 2 {
		kind, name = t.RootName(), traversalName(t)
	}
	if !slices.Contains(specv1.Kinds(), kind) || name == "" {
		w.diags = append(w.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid step reference",
			Detail:  fmt.Sprintf("Attribute %q takes a reference to a step, KIND.NAME, such as model.base.", a.Name),
			Subject: expr.Range().Ptr()})
		return "", false
	}
	addr := kind + "." + name
	if w.g.index[addr] == nil {
		return "", false // already reported as an undeclared step
	}
	if len(a.Kinds) > 0 && !slices.Contains(a.Kinds, kind) {
		w.diags = append(w.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Wrong kind of step",
			Detail:  fmt.Sprintf("Attribute %q takes %s %s step; %s is %s %s step.", a.Name, article(a.Kinds[0]), orList(a.Kinds), addr, article(kind), kind),
			Subject: expr.Range().Ptr()})
		return "", false
	}
	return addr, true
}

func (w *walker) stepList(a specv1.Attribute, v cty.Value) []string {
	expr := customdecode.ExpressionFromVal(v)
	exprs, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		w.diags = append(w.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid step list",
			Detail:  fmt.Sprintf("Attribute %q takes a list of step references, such as [adapter.a, adapter.b].", a.Name),
			Subject: expr.Range().Ptr()})
		return nil
	}
	out := []string{}
	for _, e := range exprs {
		if addr, ok := w.stepRef(a, e); ok {
			out = append(out, addr)
		}
	}
	return out
}

// path makes p absolute against the spec folder and records it with its
// range (see Graph.PathWarnings).
func (w *walker) path(name, p string, top bool) string {
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(w.g.Dir, p)
	}
	abs = filepath.Clean(abs)
	rng := w.st.DefRange
	if top {
		rng = hcldec.SourceRange(w.st.body, w.st.spec[name])
	}
	w.d.paths = append(w.d.paths, abs)
	w.d.pathRanges = append(w.d.pathRanges, rng)
	return abs
}

func (w *walker) errorAt(name, summary, detail string) {
	rng := hcldec.SourceRange(w.st.body, w.st.spec[name])
	w.diags = append(w.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()})
}

func traversalName(t hcl.Traversal) string {
	n, _ := traversalNames(t)
	return n
}

func orList(xs []string) string {
	switch len(xs) {
	case 1:
		return xs[0]
	case 2:
		return xs[0] + " or " + xs[1]
	}
	out := ""
	for i, x := range xs {
		switch {
		case i == len(xs)-1:
			out += ", or " + x
		case i > 0:
			out += ", " + x
		default:
			out = x
		}
	}
	return out
}

// toJSON converts a wholly known cty value to a JSON tree. Numbers keep
// their exact decimal text.
func toJSON(v cty.Value) any {
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Number:
		return json.Number(v.AsBigFloat().Text('f', -1))
	case t == cty.Bool:
		return v.True()
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			out = append(out, toJSON(ev))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			out[k.AsString()] = toJSON(ev)
		}
		return out
	}
	return nil
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
