// Package license is the built-in check "license" step: license policy over
// the target's lineage, and the target's shipped license texts (LICENSE,
// COPYING, NOTICE, README.md front matter) against its declared license.
package license

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	return []sdk.Component{component{desc: specv1.Component{Kind: specv1.KindCheck, Type: "license",
		Description:  "Refuse a target whose licenses forbid the intended use.",
		Capabilities: specv1.Capabilities{Gate: "target"},
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "target", Type: specv1.TypeStep, Required: true, Description: "Artifact to check."},
			{Name: "use", Type: specv1.TypeString, Required: true, Description: "research, commercial or production."},
			{Name: "redistribute", Type: specv1.TypeBool, Description: "Whether the artifact will be redistributed."},
			{Name: "allow", Type: specv1.TypeListString, Description: "License ids always allowed."},
			{Name: "deny", Type: specv1.TypeListString, Description: "License ids always refused."},
			{Name: "allow_unknown", Type: specv1.TypeBool, Description: "Accept licenses ckpt does not know (default false)."},
		}}}}}
}
