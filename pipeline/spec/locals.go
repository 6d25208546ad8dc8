package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// decodeLocals gathers every locals block and evaluates the values in
// dependency order. Locals may refer to var.*, other locals and functions.
func (s *Spec) decodeLocals(blocks hcl.Blocks) hcl.Diagnostics {
	var diags hcl.Diagnostics
	attrs := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		as, ds := b.Body.JustAttributes()
		diags = append(diags, ds...)
		for name, a := range as {
			if prev, ok := attrs[name]; ok {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate local value",
					Detail:  fmt.Sprintf("Local value %q was already defined at %s.", name, rangeString(prev.Range)),
					Subject: a.NameRange.Ptr()})
				continue
			}
			attrs[name] = a
		}
	}
	l := &localEval{s: s, attrs: attrs, state: map[string]int{}}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		l.eval(n, nil)
	}
	return append(diags, l.diags...)
}

const (
	unvisited = iota
	visiting
	done
)

type localEval struct {
	s     *Spec
	attrs map[string]*hcl.Attribute
	state map[string]int
	diags hcl.Diagnostics
}

// eval evaluates local name after the locals it refers to; path is the
// chain of locals being evaluated, to name every local on a cycle.
func (l *localEval) eval(name string, path []string) {
	switch l.state[name] {
	case done:
		return
	case visiting:
		l.cycle(name, path)
		return
	}
	l.state[name] = visiting
	a := l.attrs[name]
	bad := false
	for _, t := range a.Expr.Variables() {
		if d := l.s.CheckReference(t, l.attrs); d != nil {
			l.diags, bad = append(l.diags, d), true
			continue
		}
		if t.RootName() == "local" {
			l.eval(t[1].(hcl.TraverseAttr).Name, append(path, name))
		}
	}
	if bad {
		l.state[name], l.s.Locals[name] = done, cty.DynamicVal
		return
	}
	if l.state[name] == done { // set to unknown by a cycle
		return
	}
	l.state[name] = done
	v, ds := a.Expr.Value(l.s.EvalContext())
	l.diags = append(l.diags, ds...)
	if d := l.s.checkValue(v, a.Expr.Range(), "local."+name); d != nil {
		l.diags, v = append(l.diags, d), cty.DynamicVal
	}
	l.s.Locals[name] = v
}

// cycle reports the locals on a cycle once, at the first one's expression,
// and makes them unknown.
func (l *localEval) cycle(name string, path []string) {
	i := slices.Index(path, name)
	ring := append(slices.Clone(path[i:]), name)
	first := slices.Min(ring)
	for _, n := range ring {
		l.state[n] = done
		l.s.Locals[n] = cty.DynamicVal
	}
	refs := make([]string, len(ring))
	for j, n := range ring {
		refs[j] = "local." + n
	}
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cycle in local values",
		Detail:  fmt.Sprintf("Local values refer to each other in a cycle: %s.", strings.Join(refs, " → ")),
		Subject: l.attrs[first].Expr.Range().Ptr()})
}

// CheckReference checks a var.NAME or local.NAME reference against the
// declared variables and locals (locals: the local attributes, nil for the
// evaluated s.Locals). Other roots are left to the caller; it returns nil
// for them.
func (s *Spec) CheckReference(t hcl.Traversal, locals map[string]*hcl.Attribute) *hcl.Diagnostic {
	root := t.RootName()
	if root != "var" && root != "local" {
		return nil
	}
	var name string
	if len(t) > 1 {
		if a, ok := t[1].(hcl.TraverseAttr); ok {
			name = a.Name
		}
	}
	if name == "" {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference",
			Detail:  fmt.Sprintf("A reference to %s must name one: %s.NAME.", root, root),
			Subject: t.SourceRange().Ptr()}
	}
	if root == "var" {
		if s.HasVariable(name) {
			return nil
		}
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared input variable",
			Detail:  fmt.Sprintf("No variable %q is declared. Declare it with a variable %q {} block.", name, name),
			Subject: t.SourceRange().Ptr()}
	}
	_, ok := locals[name]
	if locals == nil {
		_, ok = s.Locals[name]
	}
	if ok {
		return nil
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared local value",
		Detail:  fmt.Sprintf("No local value %q is defined in any locals block.", name),
		Subject: t.SourceRange().Ptr()}
}
