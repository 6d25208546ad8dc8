package spec

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// precheck refuses a call whose result would exceed a limit before the
// function allocates it. Its arguments are known and within the limits.
type precheck func(args []cty.Value) error

// limited wraps f so that its arguments and result stay within
// MaxValueBytes and MaxElements (pre, when set, refuses the calls that
// would build a larger result before f builds it) and its result is
// charged to m.
func limited(name string, f function.Function, pre precheck, m *meter) function.Function {
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type:        f.ReturnTypeForValues,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if err := m.spent(); err != nil {
				return cty.NilVal, err
			}
			var in size
			for _, a := range args {
				if err := in.add(a, 0); err != nil {
					return cty.NilVal, err
				}
			}
			if pre != nil && wholly(args) {
				if err := pre(args); err != nil {
					return cty.NilVal, fmt.Errorf("%w: %s", errTooLarge, err)
				}
			}
			if err := m.charge(in.bytes + tupleCost(args)); err != nil {
				return cty.NilVal, err
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			out, err := measure(v)
			if err != nil {
				return cty.NilVal, err
			}
			return v, m.charge(out.bytes)
		},
	})
}

// tupleCost is what converting the tuple arguments may cost: n²/8 bytes
// for a tuple of n elements (cty unifies their types in quadratic time).
func tupleCost(args []cty.Value) int {
	c := 0
	for _, a := range args {
		if a, _ := a.Unmark(); a.Type().IsTupleType() {
			n := len(a.Type().TupleElementTypes())
			c += n * n / 8
		}
	}
	return c
}

func wholly(args []cty.Value) bool {
	for _, a := range args {
		if a, _ := a.UnmarkDeep(); !a.IsWhollyKnown() || a.IsNull() {
			return false
		}
	}
	return true
}

// precheckFor returns the check of a function whose result can be much
// larger than its arguments, nil for the others.
func precheckFor(name string) precheck {
	switch name {
	case "range":
		return checkRange
	case "split":
		return func(a []cty.Value) error { return maxElems(strings.Count(str(a[1]), str(a[0])) + 1) }
	case "setproduct":
		return checkProduct
	case "join":
		return checkJoin
	case "replace":
		return checkReplace
	case "indent":
		return checkIndent
	case "format":
		return func(a []cty.Value) error { return checkVerbs(str(a[0])) }
	case "formatlist":
		return checkFormatList
	case "jsondecode":
		return checkJSON
	case "csvdecode":
		return func(a []cty.Value) error {
			return maxElems(strings.Count(str(a[0]), ",") + strings.Count(str(a[0]), "\n"))
		}
	case "regexall":
		return checkRegexAll
	}
	return nil
}

func str(v cty.Value) string {
	v, _ = v.Unmark()
	if v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

func num(v cty.Value) float64 {
	v, _ = v.Unmark()
	if v.Type() != cty.Number {
		return 0
	}
	f, _ := v.AsBigFloat().Float64()
	return f
}

func length(v cty.Value) int {
	v, _ = v.Unmark()
	if !v.CanIterateElements() {
		return 0
	}
	return v.LengthInt()
}

func maxElems(n int) error {
	if n > MaxElements {
		return fmt.Errorf("its result would hold more than %d elements", MaxElements)
	}
	return nil
}

func maxBytes(n int) error {
	if n > MaxValueBytes {
		return fmt.Errorf("its result would hold more than %d MiB", MaxValueBytes>>20)
	}
	return nil
}

func checkRange(a []cty.Value) error {
	if len(a) == 0 {
		return nil // range refuses it
	}
	start, end, step := 0.0, num(a[0]), 1.0
	if len(a) > 1 {
		start, end = num(a[0]), num(a[1])
	}
	if len(a) > 2 {
		step = num(a[2])
	}
	if step == 0 {
		return nil // range refuses it
	}
	if n := (end - start) / step; n > MaxElements {
		return maxElems(MaxElements + 1)
	}
	return nil
}

func checkProduct(a []cty.Value) error {
	n := 1
	for _, s := range a {
		n *= length(s)
		if err := maxElems(n); err != nil {
			return err
		}
	}
	return nil
}

func checkJoin(a []cty.Value) error {
	n := 0
	for _, l := range a[1:] {
		n += length(l)
	}
	return maxBytes(len(str(a[0])) * n)
}

func checkReplace(a []cty.Value) error {
	s, sub, repl := str(a[0]), str(a[1]), str(a[2])
	n := len(s) + 1 // matches of a pattern, at most
	if !(len(sub) > 1 && sub[0] == '/' && sub[len(sub)-1] == '/') {
		n = strings.Count(s, sub)
	}
	return maxBytes(len(s) + n*len(repl))
}

func checkIndent(a []cty.Value) error {
	n := num(a[0])
	if n > MaxValueBytes {
		return maxBytes(MaxValueBytes + 1)
	}
	return maxBytes(len(str(a[1])) + int(n)*(strings.Count(str(a[1]), "\n")+1))
}

func checkFormatList(a []cty.Value) error {
	n := 1
	for _, l := range a[1:] {
		n = max(n, length(l))
	}
	if err := maxBytes(n * len(str(a[0]))); err != nil {
		return err
	}
	return checkVerbs(str(a[0]))
}

// maxWidth bounds the width and precision of format verbs.
const maxWidth = 1000

// checkVerbs refuses format verbs with a width or precision above maxWidth.
func checkVerbs(f string) error {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		n := 0
		for i++; i < len(f) && strings.IndexByte("-+# 0.[]0123456789", f[i]) >= 0; i++ {
			switch c := f[i]; {
			case c >= '0' && c <= '9':
				n = min(n*10+int(c-'0'), maxWidth+1)
			default:
				n = 0
			}
			if n > maxWidth {
				return fmt.Errorf("format widths and precisions may be at most %d", maxWidth)
			}
		}
	}
	return nil
}

// checkJSON refuses JSON with more than MaxElements elements or nested more
// than MaxNesting levels (counted over its bytes outside strings).
func checkJSON(a []cty.Value) error {
	depth, elems, quoted, escaped := 0, 0, false, false
	for _, c := range []byte(str(a[0])) {
		switch {
		case quoted:
			quoted = escaped || c != '"'
			escaped = !escaped && c == '\\'
		case c == '"':
			quoted = true
		case c == '[' || c == '{':
			if depth++; depth > MaxNesting {
				return fmt.Errorf("JSON may nest at most %d levels deep", MaxNesting)
			}
			elems++
		case c == ']' || c == '}':
			depth = max(depth-1, 0)
		case c == ',' || c == ':':
			elems++
		}
	}
	return maxElems(elems)
}

func checkRegexAll(a []cty.Value) error {
	re, err := regexp.Compile(str(a[0]))
	if err != nil {
		return nil // regexall reports it
	}
	limit := MaxElements/(re.NumSubexp()+1) + 1
	return maxElems(len(re.FindAllStringIndex(str(a[1]), limit)) * (re.NumSubexp() + 1))
}
