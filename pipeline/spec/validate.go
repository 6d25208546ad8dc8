package spec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// finishVariable picks a variable's value, converts it to its type and runs
// its validation rules, then adds it to the spec.
func (s *Spec) finishVariable(d *varDecl, set map[string]setting) hcl.Diagnostics {
	var diags hcl.Diagnostics
	st, ok := set[d.v.Name]
	switch {
	case ok:
	case d.def != nil:
		val, ds := d.def.Value(s.constCtx())
		diags = append(diags, ds...)
		st = setting{val: val, rng: d.def.Range().Ptr()}
	default:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No value for required variable",
			Detail:  fmt.Sprintf("Variable %q has no default; set it with --var %s=VALUE, a --var-file or the environment variable %s%s.", d.v.Name, d.v.Name, EnvPrefix, d.v.Name),
			Subject: d.v.DefRange.Ptr()})
		st = setting{val: cty.UnknownVal(d.v.Type)}
	}
	val, err := convert.Convert(st.val, d.v.Type)
	if err != nil {
		subject := st.rng
		if subject == nil {
			subject = d.v.DefRange.Ptr()
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail:  fmt.Sprintf("The value of variable %q is not valid: %s.", d.v.Name, err),
			Subject: subject})
		val = cty.UnknownVal(d.v.Type)
	}
	at := d.v.DefRange
	if st.rng != nil {
		at = *st.rng
	}
	if bad := s.checkValue(val, at, "var."+d.v.Name); bad != nil {
		diags, val = append(diags, bad), cty.UnknownVal(d.v.Type)
	}
	if d.v.Sensitive {
		val = val.Mark(Sensitive)
	}
	d.v.Value = val
	s.Variables = append(s.Variables, d.v)
	if val.IsWhollyKnown() {
		for _, vr := range d.validations {
			diags = append(diags, s.runValidation(d.v, vr, st.rng)...)
		}
	}
	return diags
}

// runValidation evaluates one validation block against the variable's value.
func (s *Spec) runValidation(v *Variable, vr validation, origin *hcl.Range) hcl.Diagnostics {
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.Name: v.Value})},
		Functions: s.functions,
	}
	cond, diags := vr.condition.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	cond, _ = cond.Unmark()
	cond, err := convert.Convert(cond, cty.Bool)
	if err != nil || cond.IsNull() || !cond.IsKnown() {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid validation condition",
			Detail: "The condition must be true or false.", Subject: vr.condition.Range().Ptr()})
	}
	if cond.True() {
		return diags
	}
	msg, ds := vr.message.Value(ctx)
	text := "The value does not satisfy the validation rule."
	switch {
	case ds.HasErrors() || msg.IsNull() || !msg.IsKnown() || msg.Type() != cty.String:
	case IsSensitive(msg):
		text = "The value does not satisfy the validation rule (its error message refers to a sensitive value and is not shown)."
	default:
		text = msg.AsString()
	}
	if v.Sensitive {
		ctx = nil // no value of it in the diagnostic
	}
	subject := origin
	if subject == nil {
		subject = vr.condition.Range().Ptr()
	}
	return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
		Detail:  fmt.Sprintf("%s\n\nThis was checked by the validation rule at %s.", text, rangeString(vr.rng)),
		Subject: subject, Expression: vr.condition, EvalContext: ctx})
}
