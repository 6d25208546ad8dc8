package spec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Guard function names: they contain a space, so that no spec can call them.
const (
	guardPiece = "ckpt template piece"
	guardIter  = "ckpt for collection"
)

// guard makes evaluation of every expression under node pay for what it
// produces, in the meter of guardFunctions: each interpolated template piece
// is wrapped in a call of guardPiece (which charges its size) and each
// for-expression's collection in a call of guardIter (which charges its
// elements each time the for-expression runs). Nothing else changes: the
// guards return their argument, marks and unknowns included. The tree is at
// most MaxNesting deep (checkSource ran first), so the walk cannot overflow.
func guard(node hclsyntax.Node) {
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		switch e := n.(type) {
		case *hclsyntax.TemplateExpr:
			for i, p := range e.Parts {
				if _, lit := p.(*hclsyntax.LiteralValueExpr); !lit {
					e.Parts[i] = guardCall(guardPiece, p)
				}
			}
		case *hclsyntax.TemplateWrapExpr:
			e.Wrapped = guardCall(guardPiece, e.Wrapped)
		case *hclsyntax.ForExpr:
			e.CollExpr = guardCall(guardIter, e.CollExpr)
		}
		return nil
	})
}

func guardCall(name string, e hclsyntax.Expression) hclsyntax.Expression {
	if c, ok := e.(*hclsyntax.FunctionCallExpr); ok && strings.HasPrefix(c.Name, "ckpt ") {
		return e
	}
	r := e.Range()
	return &hclsyntax.FunctionCallExpr{Name: name, Args: []hclsyntax.Expression{e},
		NameRange: r, OpenParenRange: r, CloseParenRange: r}
}

// guardFunctions are the guard functions charging m.
func guardFunctions(m *meter) map[string]function.Function {
	return map[string]function.Function{
		guardPiece: identity(func(v cty.Value) error {
			s, err := measure(v)
			if err != nil {
				return err
			}
			return m.charge(s.bytes)
		}),
		guardIter: identity(func(v cty.Value) error {
			v, _ = v.Unmark()
			if !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
				return nil
			}
			return m.iterate(v.LengthInt())
		}),
	}
}

// identity is a function returning its argument unchanged after check.
func identity(check func(cty.Value) error) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType,
			AllowUnknown: true, AllowDynamicType: true, AllowNull: true, AllowMarked: true}},
		Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return args[0], check(args[0])
		},
	})
}

// Tidy rewrites the diagnostics of function calls that a limit refused
// (their summary names the limit, their detail which) and of functions that
// panicked (their detail drops the stack trace). Load tidies its own;
// callers that evaluate step bodies tidy theirs before showing them.
func Tidy(diags hcl.Diagnostics) {
	for _, d := range diags {
		x, ok := d.Extra.(hclsyntax.FunctionCallDiagExtra)
		if !ok || x.FunctionCallError() == nil {
			continue
		}
		err, name := x.FunctionCallError(), x.CalledFunctionName()
		var p function.PanicError
		switch {
		case errors.As(err, &p):
			d.Detail = fmt.Sprintf("Call to function %q failed: internal error: %v.", name, p.Value)
		case errors.Is(err, errTooLarge):
			why := strings.TrimPrefix(err.Error(), errTooLarge.Error()+": ")
			d.Summary, d.Detail = limitSummary, "The value here is too large: "+why+"."
			if !strings.HasPrefix(name, "ckpt ") {
				d.Detail = fmt.Sprintf("The call of %s is refused: %s.", name, why)
			}
		}
	}
}
