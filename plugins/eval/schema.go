// Package eval is the built-in eval "json" step: a strict-format gate that
// scores the predictions of a runner step (predictions_from), runs the
// target on prompts itself (an inline runner object: ollama or openai), or
// reads predictions stamped with the target's digest, then parses each
// output and checks it against a JSON Schema.
package eval

import (
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components returns the package's step types.
func Components() []sdk.Component {
	return []sdk.Component{component{desc: specv1.Component{Kind: specv1.KindEval, Type: "json",
		Description:  "Run the target on prompts and gate a release on strict JSON output validity and field accuracy.",
		Capabilities: specv1.Capabilities{Gate: "target", Baseline: "baseline"},
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "target", Type: specv1.TypeStep, Required: true, Description: "The model the predictions come from."},
			{Name: "prompts", Type: specv1.TypePath, Description: "Prompts JSONL (chat messages, expected, tags): the runner makes the target answer them."},
			{Name: "runner", Type: specv1.TypeAny, Description: "{ kind = \"ollama\" | \"openai\", endpoint, model, api_key_env, command, max_tokens, seed, concurrency, request_timeout, timeout }: the runner settings inline (a runner step is the pluggable form)."},
			{Name: "template", Type: specv1.TypeString, Description: "\"runtime\" lets the runtime apply its own chat template (default: ckpt renders the target's)."},
			{Name: "require_bound", Type: specv1.TypeBool, Description: "Fail unless the outputs provably come from the target's files (default: true when the runner starts the server)."},
			{Name: "predictions_from", Type: specv1.TypeStep, Kinds: []string{specv1.KindRunner}, Description: "A runner step whose predictions (bound to this target) are scored."},
			{Name: "predictions", Type: specv1.TypePath, Description: "Static predictions JSONL (id, output, target_digest, input, expected, tags)."},
			{Name: "schema", Type: specv1.TypePath, Description: "JSON Schema each output must satisfy."},
			{Name: "extract", Type: specv1.TypeString, Description: "none (default), fenced or first_object."},
			{Name: "min_valid", Type: specv1.TypeNumber, Description: "Minimum valid rate, 0..1."},
			{Name: "max", Type: specv1.TypeAny, Description: "Maximum count per failure category, e.g. { trailing_text = 0 }."},
			{Name: "min_field_accuracy", Type: specv1.TypeNumber, Description: "Minimum per-field exact-match accuracy, 0..1."},
			{Name: "baseline", Type: specv1.TypeString, Description: "\"ledger:previous\" or the path of an earlier eval report."},
			{Name: "tolerance", Type: specv1.TypeNumber, Description: "How much a metric may drop below the baseline and still hold (default 0)."},
			{Name: "worst", Type: specv1.TypeNumber, Description: "How many low field-accuracy samples go to hard-cases.jsonl (default 20)."},
		}},
		Outputs: []string{"verdict", "valid_rate"},
	}}}
}
