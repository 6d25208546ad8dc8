package license

import (
	"fmt"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// Operators of a compound expression.
const (
	OpAnd = "AND"
	OpOr  = "OR"
)

// Expr is a parsed SPDX license expression. A leaf has an ID (a canonical
// SPDX id or LicenseRef-*, with "+" folded into OrLater) and an optional
// exception; a compound node has an Op and two or more Operands.
type Expr struct {
	Op        string
	Operands  []*Expr
	ID        string
	OrLater   bool
	Exception string
}

// Parse parses an SPDX expression (github.com/github/go-spdx/v2 decides
// what is valid); LicenseRef-* and DocumentRef-*:LicenseRef-* are allowed.
// Identifiers are returned in their canonical SPDX case.
func Parse(expr string) (*Expr, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, fmt.Errorf("license expression is empty")
	}
	if _, err := spdxexp.ExtractLicenses(expr); err != nil {
		return nil, fmt.Errorf("license expression %q: %w", expr, err)
	}
	p := &parser{toks: tokenize(expr)}
	e, err := p.or()
	if err == nil && p.i != len(p.toks) {
		err = fmt.Errorf("unexpected %q", p.toks[p.i])
	}
	if err != nil {
		return nil, fmt.Errorf("license expression %q: %w", expr, err)
	}
	return e, nil
}

// String renders e canonically: operands of a different operator are
// parenthesized.
func (e *Expr) String() string {
	if e.Op == "" {
		s := e.ID
		if e.OrLater {
			s += "+"
		}
		if e.Exception != "" {
			s += " WITH " + e.Exception
		}
		return s
	}
	parts := make([]string, len(e.Operands))
	for i, o := range e.Operands {
		parts[i] = o.String()
		if o.Op != "" && o.Op != e.Op {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " "+e.Op+" ")
}

// Licenses returns the license ids of e, without duplicates, in order.
func (e *Expr) Licenses() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(*Expr)
	walk = func(x *Expr) {
		if x.Op == "" {
			if !seen[x.ID] {
				seen[x.ID] = true
				out = append(out, x.ID)
			}
			return
		}
		for _, o := range x.Operands {
			walk(o)
		}
	}
	walk(e)
	return out
}

// And returns the conjunction of license expressions: compound operands
// parenthesized, duplicate terms removed, order kept. Empty expressions are
// skipped (a missing license stays visible in the lineage); an expression
// that does not parse is kept verbatim, parenthesized, so that evaluating
// the result still reports it.
func And(exprs ...string) string {
	var terms []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			terms = append(terms, s)
		}
	}
	for _, s := range exprs {
		if strings.TrimSpace(s) == "" {
			continue
		}
		e, err := Parse(s)
		switch {
		case err != nil:
			add("(" + strings.TrimSpace(s) + ")")
		case e.Op == OpAnd:
			for _, o := range e.Operands {
				add(wrap(o))
			}
		default:
			add(wrap(e))
		}
	}
	return strings.Join(terms, " AND ")
}

func wrap(e *Expr) string {
	if e.Op == OpOr {
		return "(" + e.String() + ")"
	}
	return e.String()
}

// canonicalID returns the SPDX list's spelling of id (case-insensitive).
func canonicalID(id string) string {
	if ok, c := spdxlicenses.IsActiveLicense(id); ok {
		return c
	}
	if ok, c := spdxlicenses.IsDeprecatedLicense(id); ok {
		return c
	}
	if ok, c := spdxlicenses.IsException(id); ok {
		return c
	}
	return id
}
