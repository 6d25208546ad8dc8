// Package export is the built-in export "gguf" step: a model, merge or
// adapter converted to GGUF files, one per tensor type, named as people
// name them (support-assistant-Q4_K_M.gguf, support-assistant-lora-F32.gguf).
package export

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	return []sdk.Component{component{desc: specv1.Component{Kind: specv1.KindExport, Type: "gguf",
		Description: "Convert a model, merge or LoRA adapter to GGUF files (llama.cpp, Ollama, Docker Model Runner).",
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "from", Type: specv1.TypeStep, Kinds: []string{specv1.KindModel, specv1.KindMerge, specv1.KindAdapter}, Required: true, Description: "Artifact to convert."},
			{Name: "base", Type: specv1.TypeStep, Kinds: []string{specv1.KindModel, specv1.KindMerge}, Description: "Base model of an adapter (required when from is an adapter)."},
			{Name: "name", Type: specv1.TypeString, Description: "Model name: general.name and the file names (default: the artifact's id)."},
			{Name: "types", Type: specv1.TypeListString, Description: "Tensor types, one file each: f32, f16, bf16, q8_0, q6_k, q4_k_m (default [\"bf16\"]; an adapter is f32 only)."},
		}}}}}
}
