// Package dataset is the built-in dataset "chat" step: fine-tuning data in
// the chat JSONL format, validated line by line.
package dataset

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	return []sdk.Component{component{desc: specv1.Component{Kind: specv1.KindDataset, Type: "chat",
		Description: "Chat fine-tuning data (JSONL with messages).",
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "train", Type: specv1.TypePath, Required: true, Description: "Training split (JSONL)."},
			{Name: "validation", Type: specv1.TypePath, Description: "Validation split (JSONL)."},
			{Name: "id", Type: specv1.TypeString, Published: true, Description: "Dataset id, e.g. support-tickets@2026-10-01."},
			{Name: "license", Type: specv1.TypeString, Published: true, Description: "SPDX license expression or LicenseRef-*."},
		}}}}}
}
