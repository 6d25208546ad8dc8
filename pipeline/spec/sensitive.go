package spec

import (
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// mark is the type of the cty marks this package puts on values.
type mark string

// Sensitive marks every value derived from a variable declared
// sensitive = true, or passed through sensitive(). cty carries marks
// through expressions and functions; IsSensitive finds them.
const Sensitive = mark("sensitive")

// IsSensitive reports whether v or any value inside it is sensitive.
func IsSensitive(v cty.Value) bool {
	_, pvs := v.UnmarkDeepWithPaths()
	for _, pv := range pvs {
		if _, ok := pv.Marks[Sensitive]; ok {
			return true
		}
	}
	return false
}

// SensitiveStrings returns the string values inside v that are sensitive
// (themselves or through a sensitive collection that holds them).
func SensitiveStrings(v cty.Value) []string {
	var out []string
	collect(v, false, &out)
	return out
}

func collect(v cty.Value, marked bool, out *[]string) {
	v, ms := v.Unmark()
	_, here := ms[Sensitive]
	marked = marked || here
	switch {
	case !v.IsKnown() || v.IsNull():
	case v.Type() == cty.String:
		if marked && v.AsString() != "" {
			*out = append(*out, v.AsString())
		}
	case v.CanIterateElements():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			collect(e, marked, out)
		}
	}
}

// sensitiveFunctions are sensitive(v), which marks v, and nonsensitive(v),
// which removes the mark: the spec declares that v (a hash of a secret,
// say) may be shown and published.
func sensitiveFunctions() map[string]function.Function {
	param := []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType,
		AllowUnknown: true, AllowDynamicType: true, AllowNull: true, AllowMarked: true}}
	typ := func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil }
	return map[string]function.Function{
		"sensitive": function.New(&function.Spec{Params: param, Type: typ,
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) { return args[0].Mark(Sensitive), nil }}),
		"nonsensitive": function.New(&function.Spec{Params: param, Type: typ,
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				v, pvs := args[0].UnmarkDeepWithPaths()
				var keep []cty.PathValueMarks
				for _, pv := range pvs {
					ms := cty.NewValueMarks()
					for m := range pv.Marks {
						if m != Sensitive {
							ms[m] = struct{}{}
						}
					}
					if len(ms) > 0 {
						keep = append(keep, cty.PathValueMarks{Path: pv.Path, Marks: ms})
					}
				}
				return v.MarkWithPaths(keep), nil
			}}),
	}
}
