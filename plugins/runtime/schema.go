// Package runtime is the built-in check "runtime" step: runtime-file
// compatibility rules (vLLM mistral mode, mistral-inference, transformers).
package runtime

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	return []sdk.Component{component{desc: specv1.Component{Kind: specv1.KindCheck, Type: "runtime",
		Description:  "Check that runtimes can load and serve the target.",
		Capabilities: specv1.Capabilities{Gate: "target"},
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "target", Type: specv1.TypeStep, Kinds: []string{specv1.KindModel, specv1.KindMerge, specv1.KindAdapter}, Required: true, Description: "Checkpoint to check."},
			{Name: "runtimes", Type: specv1.TypeListString, Description: "Profiles: vllm-mistral, mistral-inference, transformers (default: every profile the layout claims)."},
			{Name: "template_reference", Type: specv1.TypePath, Description: "A chat template (.jinja, or tokenizer_config.json) whose text the target's templates must render instead of the canonical format of its tokenizer version (rule template.canonical), for a deliberately different format."},
		}}}}}
}
