// Package runner is the built-in runner "ollama" and runner "openai" steps:
// the target answers the prompts (rendered with its own chat template) on a
// runtime, and the step's artifact is the predictions, each bound to the
// target's digest, with the generation record (prompts digest, template,
// what answered and every setting sent). An eval step scores them
// (predictions_from = runner.NAME). Third parties add runner kinds as
// plugins writing the same two files (specs/plugin-protocol.md).
package runner

import (
	"github.com/ckpt-dev/ckpt/packaging/runner"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Outputs of a runner step besides the core ones.
const (
	OutputPromptsDigest = "prompts_digest"
	OutputBound         = "bound"
	OutputAnswered      = "answered"
)

// common are the attributes of every built-in runner kind.
func common() []specv1.Attribute {
	return []specv1.Attribute{
		{Name: "target", Type: specv1.TypeStep, Required: true, Description: "The model that answers: a GGUF export (ollama) or a model folder."},
		{Name: "prompts", Type: specv1.TypePath, Required: true, Description: "Prompts JSONL (chat messages, expected, tags)."},
		{Name: "template", Type: specv1.TypeString, Description: "\"runtime\" lets the runtime apply its own chat template (default: ckpt renders the target's)."},
		{Name: "max_tokens", Type: specv1.TypeNumber, Description: "Tokens per answer (default 256)."},
		{Name: "seed", Type: specv1.TypeNumber, Description: "Sampling seed (default 42; generation is greedy)."},
		{Name: "stop", Type: specv1.TypeListString, Description: "Stop sequences (default: the tokenizer's EOS)."},
		{Name: "concurrency", Type: specv1.TypeNumber, Description: "Requests in flight (default 1 for ollama, 4 for openai)."},
		{Name: "request_timeout", Type: specv1.TypeString, Description: "Timeout of one request (default 2m)."},
		{Name: "start_timeout", Type: specv1.TypeString, Description: "How long a started server may take to answer (default 2m)."},
		{Name: "retries", Type: specv1.TypeNumber, Description: "Retries of a transient failure (default 3)."},
	}
}

// Components returns the built-in runner kinds.
func Components() []sdk.Component {
	ollama := append(common(),
		specv1.Attribute{Name: "binary", Type: specv1.TypeString, Description: "The ollama executable (default: on PATH)."},
		specv1.Attribute{Name: "file", Type: specv1.TypeString, Description: "The GGUF file in the target's folder, when it holds several."})
	openai := append(common(),
		specv1.Attribute{Name: "endpoint", Type: specv1.TypeString, Description: "Base URL of an OpenAI-compatible server (may hold {port} with command)."},
		specv1.Attribute{Name: "model", Type: specv1.TypeString, Description: "Model id (default: the first the server lists)."},
		specv1.Attribute{Name: "api_key_env", Type: specv1.TypeString, Description: "Environment variable holding the API key (never logged or stored)."},
		specv1.Attribute{Name: "command", Type: specv1.TypeListString, Description: "Starts the server for the run: {dir} is the target's folder, {port} a free loopback port."})
	return []sdk.Component{
		component{desc: describe(runner.KindOllama, "Have a GGUF target answer prompts on a managed Ollama server that ckpt starts and stops.", ollama)},
		component{desc: describe(runner.KindOpenAI, "Have the target answer prompts on an OpenAI-compatible endpoint, or a server the step starts.", openai)},
	}
}

func describe(kind, text string, attrs []specv1.Attribute) specv1.Component {
	return specv1.Component{Kind: specv1.KindRunner, Type: kind, Description: text,
		Schema: specv1.Schema{Attributes: attrs}, Outputs: []string{OutputAnswered, OutputBound, OutputPromptsDigest}}
}
