// Package merge is the built-in merge "lora" step: W' = W + Σ wᵢ·sᵢ·Bᵢ·Aᵢ,
// streamed tensor by tensor into the base model's layout.
package merge

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	return []sdk.Component{component{desc: specv1.Component{Kind: specv1.KindMerge, Type: "lora",
		Description: "Merge LoRA adapters into their base model.",
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "base", Type: specv1.TypeStep, Kinds: []string{specv1.KindModel}, Required: true, Description: "Base model."},
			{Name: "adapters", Type: specv1.TypeSteps, Kinds: []string{specv1.KindAdapter}, Required: true, Description: "Adapters to merge, in order."},
			{Name: "weights", Type: specv1.TypeListNumber, Description: "One weight per adapter (default 1)."},
			{Name: "dtype", Type: specv1.TypeString, Description: "Output dtype: bf16, fp16 or fp32 (default: the base's)."},
			{Name: "id", Type: specv1.TypeString, Published: true, Description: "Id of the merged model."},
			{Name: "shard_size", Type: specv1.TypeString, Description: "Maximum shard size for HF output, e.g. 5GB."},
			{Name: "parallelism", Type: specv1.TypeNumber, Description: "Tensors merged at once, across every shard (default: the number of CPUs); memory grows by a few MB per tensor in flight."},
		}}}}}
}
