// Package bundle is the built-in bundle "modelpack" step: a CNCF ModelPack
// manifest over an artifact's files, with its license and eval reports.
package bundle

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	return []sdk.Component{component{desc: specv1.Component{Kind: specv1.KindBundle, Type: "modelpack",
		Description:  "Package an artifact as a CNCF ModelPack OCI artifact.",
		Capabilities: specv1.Capabilities{Gated: true},
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "from", Type: specv1.TypeStep, Kinds: []string{specv1.KindModel, specv1.KindMerge, specv1.KindAdapter}, Required: true, Description: "Artifact to bundle."},
			{Name: "name", Type: specv1.TypeString, Required: true, Published: true, Description: "Model name."},
			{Name: "version", Type: specv1.TypeString, Published: true, Description: "Model version."},
			{Name: "description", Type: specv1.TypeString, Published: true, Description: "Model description."},
			{Name: "authors", Type: specv1.TypeListString, Published: true, Description: "Authors."},
			{Name: "compression", Type: specv1.TypeString, Description: "Weights: none (default), zstd or float."},
			{Name: "text_compression", Type: specv1.TypeString, Description: "Text files: none (default) or zstd."},
			{Name: "base", Type: specv1.TypeStep, Kinds: []string{specv1.KindModel, specv1.KindMerge}, Description: "Base model of an adapter bundle: packed as a second manifest that the adapter's manifest names as its subject."},
		}}}}}
}
