package compat_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// The tiny model of formats.md's synthetic recipe 1.
const tinyParams = `{"dim":64,"n_layers":2,"head_dim":16,"hidden_dim":128,"n_heads":4,"n_kv_heads":2,"norm_eps":1e-5,"vocab_size":1280,"rope_theta":1000000.0}`

const tinyConfig = `{"architectures":["MistralForCausalLM"],"model_type":"mistral","hidden_size":64,"num_hidden_layers":2,
"num_attention_heads":4,"num_key_value_heads":2,"head_dim":16,"intermediate_size":128,"vocab_size":1280,
"rms_norm_eps":1e-5,"rope_theta":1000000.0,"bos_token_id":1,"eos_token_id":2,"tie_word_embeddings":false,"torch_dtype":"bfloat16"}`

// tinyTemplate is a small Mistral-style template that handles system,
// user, assistant and tool turns.
const tinyTemplate = `{{- bos_token }}
{%- for message in messages %}
{%- if message['role'] == 'system' %}[SYSTEM_PROMPT]{{ message['content'] }}[/SYSTEM_PROMPT]
{%- elif message['role'] == 'user' %}[INST]{{ message['content'] }}[/INST]
{%- elif message['role'] == 'assistant' and message['tool_calls'] %}[TOOL_CALLS]{{ message['tool_calls'] | tojson }}{{ eos_token }}
{%- elif message['role'] == 'assistant' %}{{ message['content'] }}{{ eos_token }}
{%- elif message['role'] == 'tool' %}[TOOL_RESULTS]{{ message['content'] }}[/TOOL_RESULTS]
{%- else %}{{ raise_exception('Unknown role: ' + message['role']) }}
{%- endif %}
{%- endfor %}
`

// tekkenJSON returns a valid v7 tekken.json per formats.md recipe 2: 1000
// specials (20 listed), 256 byte tokens and 24 merges, vocab size 1280.
func tekkenJSON() map[string]any {
	specials := []string{"<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
		"[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]", "[IMG_END]",
		"[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]"}
	var sp, vocab []any
	for i, s := range specials {
		sp = append(sp, map[string]any{"rank": i, "token_str": s, "is_control": true})
	}
	for i := 0; i < 280; i++ {
		b := []byte{byte(i)}
		if i >= 256 {
			b = []byte{'a' + byte(i-256), 'z'}
		}
		var str any = string(b)
		if i >= 128 && i < 256 {
			str = nil
		}
		vocab = append(vocab, map[string]any{"rank": i, "token_bytes": base64.StdEncoding.EncodeToString(b), "token_str": str})
	}
	return map[string]any{
		"config": map[string]any{"pattern": `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|\s+(?!\S)|\s+`,
			"num_vocab_tokens": 280, "default_vocab_size": 1280, "default_num_special_tokens": 1000, "version": "v7"},
		"vocab": vocab, "special_tokens": sp,
	}
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	writeText(t, path, string(data))
}

func writeText(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nativeModel writes a clean native model folder and returns it.
func nativeModel(t testing.TB) string {
	t.Helper()
	return nativeModelWith(t, tinyParams)
}

// nativeModelWith writes a clean native model folder for params.
func nativeModelWith(t testing.TB, params string) string {
	t.Helper()
	dir := t.TempDir()
	writeText(t, filepath.Join(dir, "params.json"), params)
	p, err := mistral.ParseParams([]byte(params))
	if err != nil {
		t.Fatal(err)
	}
	writeTensors(t, filepath.Join(dir, "consolidated.safetensors"), mistral.ExpectedTensors(p), nil, safetensors.WriteOptions{NoMetadata: true})
	writeCommon(t, dir)
	return dir
}

// hfModel writes a clean HF model folder and returns it.
func hfModel(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	writeText(t, filepath.Join(dir, "config.json"), tinyConfig)
	p, err := mistral.ParseParams([]byte(tinyParams))
	if err != nil {
		t.Fatal(err)
	}
	writeTensors(t, filepath.Join(dir, "model.safetensors"), mistral.ExpectedTensors(p), func(n string) string {
		hf, err := mistral.NameMap{}.ToHF(n)
		if err != nil {
			t.Fatal(err)
		}
		return hf
	}, safetensors.WriteOptions{})
	writeCommon(t, dir)
	return dir
}

func writeCommon(t testing.TB, dir string) {
	writeJSON(t, filepath.Join(dir, "tekken.json"), tekkenJSON())
	writeText(t, filepath.Join(dir, "generation_config.json"), `{"bos_token_id": 1, "eos_token_id": 2}`)
	writeText(t, filepath.Join(dir, "chat_template.jinja"), tinyTemplate)
	versionTemplate(t, dir)
}

func writeTensors(t testing.TB, path string, specs []mistral.TensorSpec, rename func(string) string, opts safetensors.WriteOptions) {
	t.Helper()
	var ts []safetensors.Tensor
	for _, s := range specs {
		name := s.Name
		if rename != nil {
			name = rename(name)
		}
		n := int64(2)
		for _, d := range s.Shape {
			n *= d
		}
		ts = append(ts, safetensors.Tensor{Spec: safetensors.Spec{Name: name, DType: "BF16", Shape: s.Shape}, Data: make([]byte, n)})
	}
	if err := safetensors.WriteFile(path, ts, opts); err != nil {
		t.Fatal(err)
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
