// Package spectest turns fuzz input into specs whose expressions are
// random trees of calls, operators, for-expressions, templates and
// references, for the fuzz targets of pipeline/spec and pipeline/plan.
package spectest

import (
	"fmt"
	"strings"
)

// Spec decodes data into a spec: a variable, four locals and a few steps,
// each value a random expression tree read from data (every byte picks a
// production or a leaf; a tree ends where data does).
func Spec(data []byte) string {
	g := &gen{data: data}
	var b strings.Builder
	fmt.Fprintf(&b, "variable \"x\" {\n  default = %s\n}\n\nlocals {\n", g.expr(0))
	for i := range 4 {
		fmt.Fprintf(&b, "  l%d = %s\n", i, g.expr(0))
	}
	fmt.Fprintf(&b, "}\n\nmodel \"dir\" \"base\" {\n  path    = %s\n  id      = %s\n  license = %s\n}\n\n", g.expr(0), g.expr(0), g.expr(0))
	fmt.Fprintf(&b, "adapter \"peft\" \"a\" {\n  path     = %s\n  base     = model.base\n  training = %s\n}\n\n", g.expr(0), g.expr(0))
	fmt.Fprintf(&b, "merge \"lora\" \"m\" {\n  base     = model.base\n  adapters = [adapter.a]\n  dtype    = %s\n}\n\n", g.expr(0))
	fmt.Fprintf(&b, "bundle \"modelpack\" \"b\" {\n  from = merge.m\n  name = %s\n}\n", g.expr(0))
	return b.String()
}

// maxDepth bounds the generated trees (far below the spec's own limit: the
// point is what evaluation does, not the nesting check).
const maxDepth = 8

type gen struct {
	data []byte
	pos  int
}

func (g *gen) next() (int, bool) {
	if g.pos >= len(g.data) {
		return 0, false
	}
	g.pos++
	return int(g.data[g.pos-1]), true
}

func (g *gen) pick(options []string) string {
	n, _ := g.next()
	return options[n%len(options)]
}

// leaf is a literal or a reference; references to the for-expression
// names a, k and v are often out of scope, which is fine.
func (g *gen) leaf() string {
	n, _ := g.next()
	switch n % 3 {
	case 0:
		return g.pick([]string{"0", "1", "-3", "0.5", "1000", "1e300", "1e-300", "9007199254740993", "1e999"})
	case 1:
		return g.pick([]string{`""`, `"a"`, `"${"x"}"`, `"\u001b[2J"`, `"%%{"`, `"a,b,c"`, `"[1,[2]]"`, `"/a+/"`, `"%05d"`})
	}
	return g.pick([]string{"true", "false", "null", "var.x", "local.l0", "local.l1", "local.l2", "local.l3",
		"model.base.id", "merge.m.digest", "a", "k", "v"})
}

func (g *gen) expr(depth int) string {
	n, ok := g.next()
	if !ok || depth >= maxDepth {
		return g.leaf()
	}
	d := depth + 1
	switch n % 16 {
	case 0, 1, 2:
		return g.leaf()
	case 3:
		return "[" + g.list(d) + "]"
	case 4:
		return fmt.Sprintf("{ k%d = %s, k2 = %s }", n%3, g.expr(d), g.expr(d))
	case 5:
		return fmt.Sprintf("(%s %s %s)", g.expr(d), g.pick([]string{"+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||"}), g.expr(d))
	case 6:
		return g.pick([]string{"!", "-"}) + g.expr(d)
	case 7:
		return fmt.Sprintf("(%s ? %s : %s)", g.expr(d), g.expr(d), g.expr(d))
	case 8, 9:
		return g.function() + "(" + g.list(d) + ")"
	case 10:
		return fmt.Sprintf("[for k, v in %s : %s if %s]", g.expr(d), g.expr(d), g.expr(d))
	case 11:
		return fmt.Sprintf("{for k, v in %s : tostring(k) => %s...}", g.expr(d), g.expr(d))
	case 12:
		return fmt.Sprintf(`"${%s}-${%s}"`, g.expr(d), g.expr(d))
	case 13:
		return fmt.Sprintf(`"%%{for a in %s}${a}%%{endfor}%%{if %s}y%%{else}n%%{endif}"`, g.expr(d), g.expr(d))
	case 14:
		return fmt.Sprintf("%s[%s]", g.expr(d), g.expr(d))
	}
	return g.expr(d) + g.pick([]string{"[*]", ".a", "[*].k2"})
}

// list is 0 to 3 comma-separated expressions, the last one sometimes
// expanded (f(xs...)).
func (g *gen) list(depth int) string {
	n, _ := g.next()
	parts := make([]string, n%4)
	for i := range parts {
		parts[i] = g.expr(depth)
	}
	s := strings.Join(parts, ", ")
	if len(parts) > 0 && n&0x40 != 0 {
		s += "..."
	}
	return s
}

func (g *gen) function() string {
	return g.pick([]string{"range", "join", "split", "format", "formatlist", "flatten", "setproduct", "jsondecode",
		"jsonencode", "replace", "indent", "tostring", "tolist", "toset", "tomap", "upper", "strrev", "lookup",
		"merge", "concat", "keys", "values", "length", "distinct", "chunklist", "zipmap", "regexall", "csvdecode",
		"substr", "try", "can", "coalesce", "max", "pow", "parseint", "sha256", "element", "slice", "sort", "contains",
		"sensitive", "nonsensitive"})
}
