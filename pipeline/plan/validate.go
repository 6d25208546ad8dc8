package plan

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Validator checks one step's configuration with the plugin that runs it.
// The CLI wires one that calls built-in components in process and external
// plugins through their processes.
type Validator interface {
	Validate(ctx context.Context, c Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error)
}

// Validate asks v to check every step whose configuration is fully known:
// steps that planned without errors and are not pending. The plugins'
// diagnostics come back as HCL diagnostics on the spec ranges their
// attribute paths name (see Step.PathRange), sorted by position.
func (g *Graph) Validate(ctx context.Context, v Validator) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, st := range g.Steps {
		if st.spec == nil || st.invalid || st.Pending || len(st.Config) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Validation interrupted",
				Detail: fmt.Sprintf("Stopped before validating %s: %s.", st.Address, context.Cause(ctx))})
			break
		}
		req := &specv1.ValidateRequest{Kind: st.Kind, Type: st.Type, Step: st.Address, Config: st.Config}
		ds, err := v.Validate(ctx, st.Component, req)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot validate step",
				Detail:  g.Redact(fmt.Sprintf("Plugin %s could not validate %s: %s.", st.Component.Plugin.Name, st.Address, err)),
				Subject: st.DefRange.Ptr()})
			continue
		}
		for _, d := range ds {
			diags = append(diags, st.Diagnostic(d))
		}
	}
	spec.SortDiags(diags)
	return diags
}

// Diagnostic turns a plugin's diagnostic about this step into an HCL
// diagnostic on the range its path names. A warning stays a warning;
// every other severity is an error. The spec's secrets are redacted from
// its text.
func (s *Step) Diagnostic(d specv1.Diagnostic) *hcl.Diagnostic {
	sev := hcl.DiagError
	if d.Severity == specv1.SeverityWarning {
		sev = hcl.DiagWarning
	}
	summary := d.Summary
	if summary == "" {
		summary = fmt.Sprintf("Invalid %s configuration", s.Address)
	}
	rng := s.PathRange(d.Path)
	return &hcl.Diagnostic{Severity: sev, Summary: spec.Redact(s.secrets, summary),
		Detail: spec.Redact(s.secrets, d.Detail), Subject: &rng}
}

// PathSubject returns the spec range of the path attribute whose value is
// abs (one of Paths), or the step's header.
func (s *Step) PathSubject(abs string) hcl.Range {
	for i, p := range s.Paths {
		if p == abs && i < len(s.pathRanges) {
			return s.pathRanges[i]
		}
	}
	return s.DefRange
}

// PathRange returns the spec range of the config value at path, an
// attribute path as plugins report it: ["dtype"] is the dtype attribute's
// expression, ["adapters", "1"] the second element of a list,
// ["max", "bogus"] the key bogus of an object, ["shard", "0", "size"] an
// attribute of the first nested shard block. When the path leads into
// something that is not written literally (a variable, a function call),
// it is the range of the deepest expression found; when not even its first
// element is in the body (an unset attribute, an empty path), it is the
// step's header.
func (s *Step) PathRange(path []string) hcl.Range {
	if rng, ok := bodyRange(s.body, s.spec, path); ok {
		return rng
	}
	return s.DefRange
}

// bodyRange finds path in a body decoded with spec.
func bodyRange(body hcl.Body, spec hcldec.ObjectSpec, path []string) (hcl.Range, bool) {
	if body == nil || spec == nil || len(path) == 0 {
		return hcl.Range{}, false
	}
	content, _, _ := body.PartialContent(hcldec.ImpliedSchema(spec))
	if content == nil {
		return hcl.Range{}, false
	}
	name, rest := path[0], path[1:]
	if a, ok := content.Attributes[name]; ok && a.Expr != nil {
		return exprRange(a.Expr, rest), true
	}
	blocks := content.Blocks.OfType(name)
	if len(blocks) == 0 {
		return hcl.Range{}, false
	}
	switch bs := spec[name].(type) {
	case *hcldec.BlockSpec:
		return blockRange(blocks[0], bs.Nested, rest), true
	case *hcldec.BlockListSpec:
		if len(rest) == 0 {
			return blocks[0].DefRange, true
		}
		i, err := strconv.Atoi(rest[0])
		if err != nil || i < 0 || i >= len(blocks) {
			return blocks[0].DefRange, true
		}
		return blockRange(blocks[i], bs.Nested, rest[1:]), true
	}
	return blocks[0].DefRange, true
}

// blockRange finds path in a nested block, or returns the block's header.
func blockRange(b *hcl.Block, nested hcldec.Spec, path []string) hcl.Range {
	if spec, ok := nested.(hcldec.ObjectSpec); ok {
		if rng, ok := bodyRange(b.Body, spec, path); ok {
			return rng
		}
	}
	return b.DefRange
}

// exprRange follows path through list elements and object keys written
// literally in expr. A path that ends on an object key gives the key's
// range; one that cannot be followed further gives the deepest
// expression's range.
func exprRange(expr hcl.Expression, path []string) hcl.Range {
	for ; len(path) > 0; path = path[1:] {
		if i, err := strconv.Atoi(path[0]); err == nil {
			if elems, diags := hcl.ExprList(expr); !diags.HasErrors() {
				if i < 0 || i >= len(elems) {
					break
				}
				expr = elems[i]
				continue
			}
		}
		pairs, diags := hcl.ExprMap(expr)
		if diags.HasErrors() {
			break
		}
		kv, ok := findKey(pairs, path[0])
		if !ok {
			break
		}
		if len(path) == 1 {
			return kv.Key.Range()
		}
		expr = kv.Value
	}
	return expr.Range()
}

// findKey returns the pair whose literal key is name.
func findKey(pairs []hcl.KeyValuePair, name string) (hcl.KeyValuePair, bool) {
	for _, kv := range pairs {
		k, diags := kv.Key.Value(nil)
		if diags.HasErrors() || !k.IsWhollyKnown() || k.IsNull() {
			continue
		}
		if k, err := convert.Convert(k, cty.String); err == nil && k.AsString() == name {
			return kv, true
		}
	}
	return hcl.KeyValuePair{}, false
}
