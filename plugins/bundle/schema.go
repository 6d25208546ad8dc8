// Package bundle is the built-in bundle "modelpack" and "kitops" steps: a
// CNCF ModelPack manifest or a KitOps ModelKit over an artifact's files,
// with its license and eval reports and ckpt's referrers.
package bundle

import (
	"github.com/ckpt-dev/ckpt/packaging/kitops"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	common := []specv1.Attribute{
		{Name: "from", Type: specv1.TypeStep, Kinds: []string{specv1.KindModel, specv1.KindMerge, specv1.KindAdapter}, Required: true, Description: "Artifact to bundle."},
		{Name: "name", Type: specv1.TypeString, Required: true, Published: true, Description: "Model name."},
		{Name: "version", Type: specv1.TypeString, Published: true, Description: "Model version."},
		{Name: "description", Type: specv1.TypeString, Published: true, Description: "Model description."},
		{Name: "authors", Type: specv1.TypeListString, Published: true, Description: "Authors."},
		{Name: "base", Type: specv1.TypeStep, Kinds: []string{specv1.KindModel, specv1.KindMerge}, Description: "Base model of an adapter bundle: packed as a second manifest that the adapter's manifest names as its subject."},
	}
	mp := append(append([]specv1.Attribute(nil), common...),
		specv1.Attribute{Name: "compression", Type: specv1.TypeString, Description: "Weights: none (default), tar, zstd (tar+zstd) or float (ckpt's float codec: a ckpt float-coded model, not ModelPack)."},
		specv1.Attribute{Name: "text_compression", Type: specv1.TypeString, Description: "Text files: none (default), tar or zstd (tar+zstd)."},
		specv1.Attribute{Name: "media_types", Type: specv1.TypeString, Description: "Media type names: cncf (default) or cnai (legacy application/vnd.cnai.model.*)."})
	return []sdk.Component{
		component{pack: modelpack.Build, desc: specv1.Component{Kind: specv1.KindBundle, Type: "modelpack",
			Description:  "Package an artifact as a CNCF ModelPack OCI artifact.",
			Capabilities: specv1.Capabilities{Gated: true},
			Schema:       specv1.Schema{Attributes: mp}}},
		component{pack: kitops.Build, desc: specv1.Component{Kind: specv1.KindBundle, Type: "kitops",
			Description:  "Package an artifact as a KitOps ModelKit (Kitfile config, one tar layer per file).",
			Capabilities: specv1.Capabilities{Gated: true},
			Schema:       specv1.Schema{Attributes: common}}},
	}
}
