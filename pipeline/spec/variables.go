package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// varDecl is a variable block as declared.
type varDecl struct {
	v           *Variable
	def         hcl.Expression // nil when absent
	validations []validation
}

type validation struct {
	condition, message hcl.Expression
	rng                hcl.Range
}

// setting is one value given for a variable, with where it came from.
type setting struct {
	val cty.Value
	rng *hcl.Range // nil for --var and the environment
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "condition", Required: true}, {Name: "error_message", Required: true}}}

// decodeVariables declares the variables, applies their values in order of
// precedence (default < env < var files < --var) and runs their validations.
func (s *Spec) decodeVariables(blocks hcl.Blocks, parser *hclparse.Parser, opts Options) hcl.Diagnostics {
	decls := map[string]*varDecl{}
	var diags hcl.Diagnostics
	for _, b := range blocks {
		d, ds := s.declareVariable(b)
		diags = append(diags, ds...)
		if d == nil {
			continue
		}
		if prev, ok := decls[d.v.Name]; ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate variable",
				Detail:  fmt.Sprintf("Variable %q was already declared at %s.", d.v.Name, rangeString(prev.v.DefRange)),
				Subject: b.LabelRanges[0].Ptr()})
			continue
		}
		decls[d.v.Name] = d
	}
	set := map[string]setting{}
	diags = append(diags, envSettings(decls, opts.Env, set)...)
	for _, f := range opts.VarFiles {
		diags = append(diags, s.varFileSettings(decls, parser, f, set)...)
	}
	diags = append(diags, flagSettings(decls, opts.Vars, set)...)
	names := make([]string, 0, len(decls))
	for n := range decls {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		diags = append(diags, s.finishVariable(decls[n], set)...)
	}
	return diags
}

func (s *Spec) declareVariable(b *hcl.Block) (*varDecl, hcl.Diagnostics) {
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid variable name",
			Detail: fmt.Sprintf("A variable name must be an identifier; %q is not.", name), Subject: b.LabelRanges[0].Ptr()}}
	}
	content, diags := b.Body.Content(variableSchema)
	d := &varDecl{v: &Variable{Name: name, Type: cty.DynamicPseudoType, DefRange: b.DefRange}}
	if a, ok := content.Attributes["type"]; ok {
		t, ds := typeexpr.TypeConstraint(a.Expr)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			d.v.Type = t
		}
	}
	if a, ok := content.Attributes["description"]; ok {
		v, ds := literalString(s.constCtx(), a.Expr, "description")
		diags, d.v.Description = append(diags, ds...), v
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		v, ds := a.Expr.Value(s.constCtx())
		diags = append(diags, ds...)
		if !ds.HasErrors() && (v.IsNull() || v.Type() != cty.Bool) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid sensitive",
				Detail: "sensitive must be true or false.", Subject: a.Expr.Range().Ptr()})
		} else if !ds.HasErrors() {
			d.v.Sensitive = v.True()
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		d.def = a.Expr
	}
	for _, vb := range content.Blocks {
		c, ds := vb.Body.Content(validationSchema)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			d.validations = append(d.validations, validation{condition: c.Attributes["condition"].Expr,
				message: c.Attributes["error_message"].Expr, rng: vb.DefRange})
		}
	}
	return d, diags
}

// envSettings applies CKPT_VAR_NAME entries; undeclared names are ignored.
func envSettings(decls map[string]*varDecl, env []string, set map[string]setting) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) {
			continue
		}
		name := strings.TrimPrefix(k, EnvPrefix)
		if d, ok := decls[name]; ok {
			val, ds := rawValue(d.v, v, "environment variable "+k)
			diags = append(diags, ds...)
			set[name] = setting{val: val}
		}
	}
	return diags
}

// flagSettings applies --var NAME=VALUE; an undeclared name is an error.
func flagSettings(decls map[string]*varDecl, vars []string, set map[string]setting) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, kv := range vars {
		name, v, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			diags = append(diags, errDiag("Invalid --var option",
				fmt.Sprintf("The --var option takes NAME=VALUE; %q has no \"=\".", kv)))
			continue
		}
		d, ok := decls[name]
		if !ok {
			diags = append(diags, errDiag("Value for undeclared variable",
				fmt.Sprintf("--var sets %q, but the spec declares no variable %q. Declare it with a variable block.", name, name)))
			continue
		}
		val, ds := rawValue(d.v, v, "--var "+name)
		diags = append(diags, ds...)
		set[name] = setting{val: val}
	}
	return diags
}

// rawValue interprets a command-line or environment value: as a literal
// string for string (and untyped) variables, otherwise as an HCL expression.
func rawValue(v *Variable, raw, origin string) (cty.Value, hcl.Diagnostics) {
	if v.Type == cty.String || v.Type == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	name := "<value for var." + v.Name + ">"
	if len(raw) > MaxFileBytes {
		return cty.DynamicVal, hcl.Diagnostics{limitDiag(nil, "The value of %s is larger than %d KiB.", origin, MaxFileBytes>>10)}
	}
	tokens := 0
	if d := checkSource([]byte(raw), name, true, &tokens); d != nil {
		d.Detail, d.Subject = fmt.Sprintf("The value of %s: %s", origin, d.Detail), nil
		return cty.DynamicVal, hcl.Diagnostics{d}
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), name, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.DynamicVal, hcl.Diagnostics{errDiag("Invalid value for variable",
			fmt.Sprintf("The value of %s is not a valid %s expression: %s", origin, v.Type.FriendlyName(), diags.Error()))}
	}
	guard(expr)
	val, diags := expr.Value(&hcl.EvalContext{Functions: guardFunctions(&meter{})})
	return val, diags
}

// varFileSettings applies the attributes of one var file.
func (s *Spec) varFileSettings(decls map[string]*varDecl, parser *hclparse.Parser, path string, set map[string]setting) hcl.Diagnostics {
	src, diags := s.readSource(path, "Failed to read file")
	if src == nil {
		return diags
	}
	f, diags := s.parse(parser, src, path)
	if f == nil || diags.HasErrors() {
		return diags
	}
	attrs, ds := f.Body.JustAttributes()
	diags = append(diags, ds...)
	for name, a := range attrs {
		if _, ok := decls[name]; !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Value for undeclared variable",
				Detail:  fmt.Sprintf("The var file sets %q, but the spec declares no variable %q; the value is ignored.", name, name),
				Subject: a.NameRange.Ptr()})
			continue
		}
		val, ds := a.Expr.Value(s.constCtx())
		diags = append(diags, ds...)
		set[name] = setting{val: val, rng: a.Expr.Range().Ptr()}
	}
	return diags
}
