package cli

import (
	"fmt"

	"github.com/hashicorp/hcl/v2/hclsimple"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
)

// policyFile is the HCL (or JSON) form of a license policy.
type policyFile struct {
	Use          string   `hcl:"use,optional"`
	Redistribute bool     `hcl:"redistribute,optional"`
	Allow        []string `hcl:"allow,optional"`
	Deny         []string `hcl:"deny,optional"`
	AllowUnknown bool     `hcl:"allow_unknown,optional"`
	// RequireSignature refuses to audit without --key.
	RequireSignature bool `hcl:"require_signature,optional"`
}

// auditPolicy is a license policy and what audit demands of signatures.
type auditPolicy struct {
	lic.Policy
	RequireSignature bool
}

// loadPolicy reads a policy file; an empty path is the zero policy.
func loadPolicy(path string) (auditPolicy, error) {
	if path == "" {
		return auditPolicy{}, nil
	}
	var f policyFile
	if err := hclsimple.DecodeFile(path, nil, &f); err != nil {
		return auditPolicy{}, fmt.Errorf("policy %s: %w", path, err)
	}
	p := auditPolicy{Policy: lic.Policy{Use: f.Use, Redistribute: f.Redistribute, Allow: f.Allow, Deny: f.Deny,
		AllowUnknown: f.AllowUnknown}, RequireSignature: f.RequireSignature}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("policy %s: %w", path, err)
	}
	for _, ids := range [][]string{f.Allow, f.Deny} {
		for _, id := range ids {
			if _, err := lic.Parse(id); err != nil {
				return p, fmt.Errorf("policy %s: %w", path, err)
			}
		}
	}
	return p, nil
}
