package spec

import (
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// mark is the type of the cty marks this package puts on values.
type mark string

// Sensitive marks every value derived from a variable declared
// sensitive = true, or passed through sensitive(). cty carries marks
// through expressions and functions; IsSensitive finds them.
const Sensitive = mark("sensitive")

// Redacted is what is shown and stored instead of a sensitive value.
const Redacted = "(sensitive)"

// MinSecretScan is the length from which Redact replaces a secret inside
// a longer string; a shorter one ("1", "a") is replaced only where it is
// the whole string, lest every "a" of a log line go.
const MinSecretScan = 4

// Redact replaces every one of secrets in s by Redacted, in order (see
// SortSecrets).
func Redact(secrets []string, s string) string {
	for _, x := range secrets {
		switch {
		case x == "":
		case s == x:
			return Redacted
		case len(x) >= MinSecretScan && strings.Contains(s, x):
			s = strings.ReplaceAll(s, x, Redacted)
		}
	}
	return s
}

// SortSecrets sorts secrets longest first, so that a secret containing
// another is replaced whole, and drops duplicates and empty strings.
func SortSecrets(secrets []string) []string {
	secrets = slices.DeleteFunc(secrets, func(s string) bool { return s == "" })
	slices.SortFunc(secrets, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(secrets)
}

// Secrets are the strings of the sensitive variables' values.
func (s *Spec) Secrets() []string {
	var out []string
	for _, v := range s.Variables {
		out = append(out, SensitiveStrings(v.Value)...)
	}
	return SortSecrets(out)
}

// redact removes the secrets from diagnostics' texts; a function error,
// say, may quote its argument.
func (s *Spec) redact(diags hcl.Diagnostics) {
	secrets := s.Secrets()
	if len(secrets) == 0 {
		return
	}
	for _, d := range diags {
		d.Summary, d.Detail = Redact(secrets, d.Summary), Redact(secrets, d.Detail)
		d.EvalContext = nil // it holds the sensitive values
	}
}

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
