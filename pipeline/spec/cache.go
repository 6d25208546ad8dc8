package spec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// decodeCache reads the ckpt block's cache block: ref, a constant string.
func (s *Spec) decodeCache(b *hcl.Block) hcl.Diagnostics {
	if s.Required.Cache != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Duplicate cache block",
			Detail:  fmt.Sprintf("The ckpt block has at most one cache block; the first sets ref at %s.", rangeString(s.Required.Cache.Range)),
			Subject: b.DefRange.Ptr()}}
	}
	content, diags := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "ref", Required: true}}})
	a, ok := content.Attributes["ref"]
	if !ok {
		return diags
	}
	ref, d := literalString(s.constCtx(), a.Expr, "cache ref")
	diags = append(diags, d...)
	if d.HasErrors() {
		return diags
	}
	if ref == "" {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid cache ref",
			Detail:  `The remote cache is a registry repository, e.g. ref = "registry.example.com/team/ckpt-cache".`,
			Subject: a.Expr.Range().Ptr()})
	}
	s.Required.Cache = &Cache{Ref: ref, Range: a.Expr.Range()}
	return diags
}
