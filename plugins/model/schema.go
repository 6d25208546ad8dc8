// Package model is the built-in model "dir" step: a local checkpoint folder
// (Mistral native or Hugging Face layout) taken in as an artifact with its
// metadata (id, format, architecture, dtype, params, license).
package model

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	return []sdk.Component{component{desc: specv1.Component{Kind: specv1.KindModel, Type: "dir",
		Description: "A local checkpoint folder, native (params.json) or Hugging Face (config.json) layout.",
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "path", Type: specv1.TypePath, Required: true, Description: "Checkpoint folder."},
			{Name: "id", Type: specv1.TypeString, Required: true, Published: true, Description: "Pinned model id; an id ending in -latest is an error."},
			{Name: "license", Type: specv1.TypeString, Published: true, Description: "SPDX license expression or LicenseRef-*."},
			{Name: "notices", Type: specv1.TypeListString, Published: true, Description: "Notice texts that must travel with the model."},
		}}}}}
}
