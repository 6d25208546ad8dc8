package license

import (
	"errors"
	"strings"
)

// tokenize splits an expression that go-spdx already accepted.
func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r':
			flush()
		case '(', ')':
			flush()
			toks = append(toks, string(r))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

// parser is a recursive-descent parser: OR binds loosest, then AND, then
// WITH (SPDX annex D precedence).
type parser struct {
	toks []string
	i    int
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *parser) or() (*Expr, error) {
	return p.chain(OpOr, p.and)
}

func (p *parser) and() (*Expr, error) {
	return p.chain(OpAnd, p.atom)
}

// chain parses operands joined by op into one flat node.
func (p *parser) chain(op string, next func() (*Expr, error)) (*Expr, error) {
	first, err := next()
	if err != nil {
		return nil, err
	}
	ops := []*Expr{first}
	for p.peek() == op {
		p.i++
		e, err := next()
		if err != nil {
			return nil, err
		}
		if e.Op == op { // parenthesized operand of the same operator
			ops = append(ops, e.Operands...)
		} else {
			ops = append(ops, e)
		}
	}
	if len(ops) == 1 {
		return first, nil
	}
	return &Expr{Op: op, Operands: ops}, nil
}

func (p *parser) atom() (*Expr, error) {
	t := p.peek()
	switch t {
	case "":
		return nil, errors.New("expected a license, found the end")
	case "(":
		p.i++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, errors.New("missing )")
		}
		p.i++
		return e, nil
	case ")", OpAnd, OpOr, "WITH":
		return nil, errors.New("expected a license, found " + t)
	}
	p.i++
	leaf := leafExpr(t)
	if p.peek() == "+" { // "MIT +" never passes go-spdx; "GPL-2.0 +" neither
		p.i++
		leaf.OrLater = true
	}
	if p.peek() == "WITH" {
		p.i++
		exc := p.peek()
		if exc == "" || exc == "(" || exc == ")" {
			return nil, errors.New("expected an exception after WITH")
		}
		p.i++
		leaf.Exception = canonicalID(exc)
	}
	return leaf, nil
}

func leafExpr(t string) *Expr {
	e := &Expr{}
	if strings.HasSuffix(t, "+") {
		e.OrLater = true
		t = strings.TrimSuffix(t, "+")
	}
	if !strings.Contains(t, "LicenseRef-") {
		t = canonicalID(t)
	}
	e.ID = t
	return e
}
