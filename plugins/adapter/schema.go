// Package adapter is the built-in adapter "peft" and adapter
// "mistral-finetune" steps: a LoRA adapter folder validated against its base
// model before any merge.
package adapter

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func attrs() []specv1.Attribute {
	return []specv1.Attribute{
		{Name: "path", Type: specv1.TypePath, Required: true, Description: "Adapter folder."},
		{Name: "base", Type: specv1.TypeStep, Kinds: []string{specv1.KindModel}, Required: true, Description: "The base model the adapter was trained on."},
		{Name: "id", Type: specv1.TypeString, Published: true, Description: "Adapter id."},
		{Name: "license", Type: specv1.TypeString, Published: true, Description: "SPDX license expression or LicenseRef-*."},
		{Name: "training", Type: specv1.TypeAny, Published: true, Description: "Training metadata: dataset, hyperparameters, chat_template...; datasets = [{ id, license }] become lineage entries."},
		{Name: "basis", Type: specv1.TypeString, Description: "q/k row basis the adapter was trained in: hf or native (default: hf for peft, native for mistral-finetune)."},
	}
}

// Components returns the package's step types.
func Components() []sdk.Component {
	records := specv1.Capabilities{Records: []string{specv1.RecordTraining}}
	return []sdk.Component{
		component{desc: specv1.Component{Kind: specv1.KindAdapter, Type: "peft",
			Description: "A PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors).",
			Schema:      specv1.Schema{Attributes: attrs()}, Capabilities: records}},
		component{desc: specv1.Component{Kind: specv1.KindAdapter, Type: "mistral-finetune",
			Description: "A mistral-finetune LoRA adapter (lora.safetensors + params.json).",
			Schema:      specv1.Schema{Attributes: attrs()}, Capabilities: records}},
	}
}
