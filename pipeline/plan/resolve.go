package plan

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Resolve decodes step s again once its upstream outputs are known:
// outputs[addr][attr] is the output attr of the step at addr (e.g.
// outputs["model.base"]["id"]). It returns the step's canonical config;
// it is an error when a value is still unknown.
func (g *Graph) Resolve(s *Step, outputs map[string]map[string]string) (json.RawMessage, hcl.Diagnostics) {
	if s == nil || s.spec == nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot resolve step",
			Detail: "The step is not part of this plan or has no component."}}
	}
	if outputs == nil {
		outputs = map[string]map[string]string{}
	}
	d, diags := g.decodeStep(s, outputs)
	if d.pending {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Upstream output not known",
			Detail:  fmt.Sprintf("%s refers to outputs of steps that have not run: %s.", s.Address, joinQuoted(deps(s, false))),
			Subject: s.DefRange.Ptr()})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	cfg, err := canonical(d.config)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot encode config",
			Detail: fmt.Sprintf("%s: %s", s.Address, err), Subject: s.DefRange.Ptr()})
	}
	return cfg, diags
}
