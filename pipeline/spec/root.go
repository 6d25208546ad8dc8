package spec

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func rootSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "ckpt"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
	}}
	for _, k := range specv1.Kinds() {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: k, LabelNames: []string{"type", "name"}})
	}
	return s
}

// decodeRoot reads the top-level blocks of every file, then variables,
// locals and steps, in that order.
func (s *Spec) decodeRoot(files []*hcl.File, parser *hclparse.Parser, opts Options) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var ckpts, vars, locals, steps hcl.Blocks
	schema := rootSchema()
	for _, f := range files {
		content, d := f.Body.Content(schema)
		diags = append(diags, d...)
		for _, b := range content.Blocks {
			switch b.Type {
			case "ckpt":
				ckpts = append(ckpts, b)
			case "variable":
				vars = append(vars, b)
			case "locals":
				locals = append(locals, b)
			default:
				steps = append(steps, b)
			}
		}
	}
	diags = append(diags, s.decodeCkpt(ckpts, opts.Version)...)
	diags = append(diags, s.decodeVariables(vars, parser, opts)...)
	diags = append(diags, s.decodeLocals(locals)...)
	diags = append(diags, s.decodeSteps(steps)...)
	return diags
}

// decodeSteps keeps the step blocks, rejecting invalid and duplicate names.
func (s *Spec) decodeSteps(blocks hcl.Blocks) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]*Step{}
	for _, b := range blocks {
		st := &Step{Kind: b.Type, Type: b.Labels[0], Name: b.Labels[1], Body: b.Body,
			DefRange: b.DefRange, TypeRange: b.LabelRanges[0], NameRange: b.LabelRanges[1]}
		if !hclsyntax.ValidIdentifier(st.Name) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid step name",
				Detail:  fmt.Sprintf("A step name must be an identifier (letters, digits, underscores and dashes, starting with a letter) so that it can be referenced as %s.NAME; %q is not.", st.Kind, st.Name),
				Subject: st.NameRange.Ptr()})
			continue
		}
		if prev, ok := seen[st.Address()]; ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError,
				Summary: fmt.Sprintf("Duplicate %s step %q", st.Kind, st.Name),
				Detail:  fmt.Sprintf("A %s step named %q was already defined at %s. Step names must be unique within a kind.", st.Kind, st.Name, rangeString(prev.DefRange)),
				Subject: st.NameRange.Ptr(), Context: st.DefRange.Ptr()})
			continue
		}
		seen[st.Address()] = st
		s.Steps = append(s.Steps, st)
	}
	return diags
}

// decodeCkpt reads the single ckpt block.
func (s *Spec) decodeCkpt(blocks hcl.Blocks, version string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, b := range blocks {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate ckpt block",
				Detail:  fmt.Sprintf("A spec has at most one ckpt block; the first is at %s.", rangeString(blocks[0].DefRange)),
				Subject: b.DefRange.Ptr()})
			continue
		}
		diags = append(diags, s.decodeCkptBody(b.Body, version)...)
	}
	return diags
}

func (s *Spec) decodeCkptBody(body hcl.Body, version string) hcl.Diagnostics {
	content, diags := body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "required_version"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "required_plugins"}, {Type: "cache"}},
	})
	if a, ok := content.Attributes["required_version"]; ok {
		v, d := literalString(s.constCtx(), a.Expr, "required_version")
		diags = append(diags, d...)
		s.Required.Version = v
		if !d.HasErrors() && version != "" {
			diags = append(diags, checkVersion(v, version, a.Expr.Range())...)
		}
	}
	for _, b := range content.Blocks {
		if b.Type == "cache" {
			diags = append(diags, s.decodeCache(b)...)
			continue
		}
		diags = append(diags, s.decodeRequiredPlugins(b.Body)...)
	}
	return diags
}

func (s *Spec) decodeRequiredPlugins(body hcl.Body) hcl.Diagnostics {
	attrs, diags := body.JustAttributes()
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		a := attrs[n]
		v, d := a.Expr.Value(s.constCtx())
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		p, d := requiredPlugin(n, v, a.Expr.Range())
		diags = append(diags, d...)
		if !d.HasErrors() {
			s.Required.Plugins = append(s.Required.Plugins, p)
		}
	}
	return diags
}

func requiredPlugin(name string, v cty.Value, rng hcl.Range) (RequiredPlugin, hcl.Diagnostics) {
	bad := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid required_plugins entry",
		Detail:  fmt.Sprintf("Plugin %q must be an object { source = \"HOST/NAMESPACE/NAME\", version = \"1.2.0\" }.", name),
		Subject: rng.Ptr()}}
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return RequiredPlugin{}, bad
	}
	p := RequiredPlugin{Name: name, Range: rng}
	for k, av := range v.AsValueMap() {
		if av.IsNull() || av.Type() != cty.String {
			return p, bad
		}
		switch k {
		case "source":
			p.Source = av.AsString()
		case "version":
			p.Version = av.AsString()
		default:
			return p, bad
		}
	}
	if p.Source == "" {
		return p, bad
	}
	return p, nil
}

// literalString evaluates a constant string expression.
func literalString(ctx *hcl.EvalContext, expr hcl.Expression, what string) (string, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return "", diags
	}
	if v.IsNull() || v.Type() != cty.String {
		return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid " + what,
			Detail: what + " must be a string.", Subject: expr.Range().Ptr()}}
	}
	return v.AsString(), nil
}
