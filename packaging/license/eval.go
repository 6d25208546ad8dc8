package license

import (
	"errors"
	"fmt"
	"strings"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Intended uses, from least to most demanding.
const (
	UseResearch   = "research"
	UseCommercial = "commercial"
	UseProduction = "production" // commercial use in a deployed service
)

// Violation codes.
const (
	CodeForbidden = "license.forbidden" // a license forbids the use
	CodeDenied    = "license.denied"    // the policy's deny list names the license
	CodeUnknown   = "license.unknown"   // ckpt does not know the license
	CodeMissing   = "license.missing"   // no license information
	CodeInvalid   = "license.invalid"   // the expression does not parse
	CodePolicy    = "policy.invalid"    // the policy itself is wrong
	// CodeConditions warns of a condition ckpt cannot check.
	CodeConditions = "license.conditions"
)

// Policy is what a release may do with an artifact. The zero value is
// research use, no redistribution, every known license allowed and unknown
// licenses refused.
type Policy struct {
	// Use is research (the default when empty), commercial or production.
	Use string `json:"use,omitempty"`
	// Redistribute: the artifact will be given to others (pushed, shipped).
	Redistribute bool `json:"redistribute,omitempty"`
	// Allow lists license ids accepted whatever their terms.
	Allow []string `json:"allow,omitempty"`
	// Deny lists license ids refused whatever their terms (deny wins).
	Deny []string `json:"deny,omitempty"`
	// AllowUnknown accepts licenses ckpt does not know, and a missing license.
	AllowUnknown bool `json:"allow_unknown,omitempty"`
}

// Validate reports a wrong Use.
func (p Policy) Validate() error {
	switch p.Use {
	case "", UseResearch, UseCommercial, UseProduction:
		return nil
	}
	return fmt.Errorf("policy use %q: want research, commercial or production", p.Use)
}

// Violation is one reason a policy refuses an artifact.
type Violation struct {
	Code string `json:"code"`
	// Severity is error (refused) or warning (accepted by allow_unknown).
	Severity string `json:"severity"`
	// Input names the lineage entry, e.g. "model.base (mistral-large-2407)".
	Input   string `json:"input"`
	License string `json:"license,omitempty"`
	Clause  string `json:"clause,omitempty"`
	Message string `json:"message"`
}

// Failed reports whether any violation is an error.
func Failed(vs []Violation) bool {
	for _, v := range vs {
		if v.Severity == specv1.SeverityError {
			return true
		}
	}
	return false
}

// Evaluate applies a policy to m: every lineage entry, then m's own
// license expression. Violations name the input that forbids the use and
// the clause. Violations with severity warning do not refuse the use.
func Evaluate(m *specv1.Metadata, p Policy) []Violation {
	vs, _ := Explain(m, p)
	return vs
}

// Explain is Evaluate that also says which branch of each OR expression
// it chose, e.g. "model.base (x): chose MIT of MIT OR GPL-3.0-only".
func Explain(m *specv1.Metadata, p Policy) ([]Violation, []string) {
	if err := p.Validate(); err != nil {
		return []Violation{{Code: CodePolicy, Severity: specv1.SeverityError, Input: "policy", Message: err.Error()}}, nil
	}
	var out []Violation
	var picks []string
	seen := map[string]bool{}
	for _, in := range inputs(m) {
		vs, c := evalInput(in, p)
		picks = append(picks, c...)
		for _, v := range vs {
			key := v.Code + "\x00" + v.License
			if in.self && seen[key] {
				continue // already reported against the input it comes from
			}
			seen[key] = true
			out = append(out, v)
		}
	}
	return out, picks
}

// input is one lineage entry or the artifact itself (self).
type input struct {
	label, license string
	self           bool
	// derived: the artifact is a derivative of this input.
	derived bool
}

func inputs(m *specv1.Metadata) []input {
	var out []input
	d := Derived(m)
	for _, l := range m.Lineage {
		out = append(out, input{label: Label(l), license: l.License, derived: d})
	}
	self := input{label: "target", license: m.License, self: true, derived: d}
	if m.ID != "" {
		self.label = "target (" + m.ID + ")"
	}
	if m.License != "" || len(m.Lineage) == 0 {
		out = append(out, self)
	}
	return out
}

// Label names a lineage entry the way messages do:
// "model.base (mistral-large-2407)", or its role when it has no step.
func Label(l specv1.Lineage) string {
	name := l.Step
	if name == "" {
		name = l.Role
	}
	if name == "" {
		name = "input"
	}
	switch {
	case l.ID != "":
		return name + " (" + l.ID + ")"
	case l.Digest != "":
		return name + " (" + l.Digest + ")"
	}
	return name
}

// Derived reports whether m is made from more than one input (a merge, an
// adapter on its base), so that no-derivatives terms apply to it.
func Derived(m *specv1.Metadata) bool {
	if m.Kind == "merge" || m.Kind == "adapter" {
		return true
	}
	return len(m.Lineage) > 1
}

func evalInput(in input, p Policy) ([]Violation, []string) {
	if strings.TrimSpace(in.license) == "" {
		v := Violation{Code: CodeMissing, Severity: severity(p.AllowUnknown), Input: in.label,
			Message: in.label + " has no license information"}
		return []Violation{v}, nil
	}
	e, err := Parse(in.license)
	if err != nil {
		return []Violation{{Code: CodeInvalid, Severity: specv1.SeverityError, Input: in.label, License: in.license,
			Message: fmt.Sprintf("%s: %v", in.label, err)}}, nil
	}
	return evalExpr(e, in, p)
}

func severity(allowed bool) string {
	if allowed {
		return specv1.SeverityWarning
	}
	return specv1.SeverityError
}

// evalExpr returns the violations of e and the branch choices made for OR.
// AND: every operand must allow. OR: the first operand that allows wins.
func evalExpr(e *Expr, in input, p Policy) ([]Violation, []string) {
	switch e.Op {
	case "":
		return evalLeaf(e.ID, in, p), nil
	case OpAnd:
		var vs []Violation
		var picks []string
		for _, o := range e.Operands {
			v, c := evalExpr(o, in, p)
			vs, picks = append(vs, v...), append(picks, c...)
		}
		return vs, picks
	}
	return evalOr(e, in, p)
}

// evalOr picks the first operand with no violation, else the first with
// warnings only; when every operand refuses, it returns all violations.
func evalOr(e *Expr, in input, p Policy) ([]Violation, []string) {
	type branch struct {
		vs    []Violation
		picks []string
		op    *Expr
	}
	var bs []branch
	for _, o := range e.Operands {
		v, c := evalExpr(o, in, p)
		bs = append(bs, branch{v, c, o})
	}
	for _, accept := range []func([]Violation) bool{
		func(v []Violation) bool { return len(v) == 0 },
		func(v []Violation) bool { return !Failed(v) },
	} {
		for _, b := range bs {
			if accept(b.vs) {
				pick := fmt.Sprintf("%s: chose %s of %s", in.label, b.op.String(), e.String())
				return b.vs, append(b.picks, pick)
			}
		}
	}
	var all []Violation
	for _, b := range bs {
		all = append(all, b.vs...)
	}
	return all, nil
}

func evalLeaf(id string, in input, p Policy) []Violation {
	mk := func(code, clause, msg string) []Violation {
		return []Violation{{Code: code, Severity: specv1.SeverityError, Input: in.label, License: id, Clause: clause, Message: msg}}
	}
	if contains(p.Deny, id) {
		return mk(CodeDenied, "", fmt.Sprintf("%s is under %s, which the policy denies", in.label, id))
	}
	if contains(p.Allow, id) {
		return nil
	}
	t, ok := Lookup(id)
	if !ok {
		v := mk(CodeUnknown, "", fmt.Sprintf("%s is under %s, which ckpt does not know (allow it, or set allow_unknown)", in.label, id))
		v[0].Severity = severity(p.AllowUnknown)
		return v
	}
	for _, c := range checks(t, in, p) {
		if !c.term.Allowed {
			return mk(CodeForbidden, c.term.Clause, fmt.Sprintf("%s is under %s, which forbids %s (clause %s)",
				in.label, id, c.what, c.term.Clause))
		}
	}
	if p.Redistribute && t.RedistributeWarning != "" {
		v := mk(CodeConditions, t.RedistributeWarning, fmt.Sprintf("%s is under %s: %s", in.label, id, t.RedistributeWarning))
		v[0].Severity = specv1.SeverityWarning
		return v
	}
	return nil
}

type check struct {
	what string
	term Term
}

// checks lists the terms the policy needs from t.
func checks(t Terms, in input, p Policy) []check {
	var cs []check
	if p.Use == UseCommercial || p.Use == UseProduction {
		cs = append(cs, check{"commercial use", t.Commercial})
	}
	if p.Use == UseProduction {
		cs = append(cs, check{"production use", t.Production})
	}
	if p.Redistribute {
		cs = append(cs, check{"redistribution", t.Redistribute})
		if in.derived {
			cs = append(cs, check{"redistributing derivatives", t.Derivatives})
		}
	}
	return cs
}

func contains(list []string, id string) bool {
	for _, s := range list {
		if strings.EqualFold(strings.TrimSpace(s), id) {
			return true
		}
	}
	return false
}

// ErrNoLicense reports an artifact without license information (see
// RequireLicense).
var ErrNoLicense = errors.New("no license information")

// RequireLicense returns an error wrapping ErrNoLicense, naming m, when
// neither m nor any input of its lineage has a license: a push refuses such
// an artifact unless the user says so explicitly, with the setting optOut
// (a push step's allow_unlicensed = true, push's --allow-unlicensed), which
// the error gives as its one hint besides setting a license.
func RequireLicense(m *specv1.Metadata, optOut string) error {
	if strings.TrimSpace(m.License) != "" {
		return nil
	}
	for _, l := range m.Lineage {
		if strings.TrimSpace(l.License) != "" {
			return nil
		}
	}
	name := m.ID
	if name == "" {
		name = m.Kind
	}
	return fmt.Errorf("%s: %w: set license on the model, adapter or dataset, or %s to publish anyway", name, ErrNoLicense, optOut)
}
