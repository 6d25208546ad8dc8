package gguf

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

func editJSON(t *testing.T, path string, f func(map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExportRefuses checks every refusal a user can hit: each error names
// the file (and the tensor where there is one), and nothing is written.
func TestExportRefuses(t *testing.T) {
	cases := []struct {
		name    string
		model   synth.ModelOptions
		breakIt func(t *testing.T, dir string)
		is      error
		want    []string
	}{
		{"tekken rank without a merge", synth.ModelOptions{}, func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "tekken.json"), func(m map[string]any) {
				v := m["vocab"].([]any)[260].(map[string]any)
				v["token_bytes"], v["token_str"] = base64.StdEncoding.EncodeToString([]byte("qz!")), "qz!"
			})
		}, ErrTokenizer, []string{"tekken.json", "rank 260", `"qz!"`}},
		{"shape contradicts params.json", synth.ModelOptions{}, func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "params.json"), func(m map[string]any) { m["hidden_dim"] = 192 })
		}, ErrShape, []string{"consolidated.safetensors", "layers.0.feed_forward.w1.weight", "[128 64]", "[192 64]"}},
		{"shape contradicts config.json", synth.ModelOptions{Layout: mistral.FormatHF}, func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "config.json"), func(m map[string]any) { m["num_key_value_heads"] = 1 })
		}, ErrShape, []string{"model.safetensors", "model.layers.0.self_attn.k_proj.weight"}},
		{"mixture of experts", synth.ModelOptions{}, func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "params.json"), func(m map[string]any) {
				m["moe"] = map[string]any{"num_experts": 8, "num_experts_per_tok": 2}
			})
		}, ErrUnsupported, []string{"params.json", "mixture of experts"}},
		{"vision encoder", synth.ModelOptions{Vision: true}, nil, ErrUnsupported, []string{"params.json", "vision encoder"}},
		{"unknown HF architecture", synth.ModelOptions{Layout: mistral.FormatHF}, func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "config.json"), func(m map[string]any) { m["model_type"] = "qwen2" })
		}, ErrUnsupported, []string{"config.json", `"qwen2"`}},
		{"no tokenizer", synth.ModelOptions{}, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "tekken.json"))
		}, ErrTokenizer, []string{"tekken.json or tokenizer.model"}},
		{"vocab size differs", synth.ModelOptions{}, func(t *testing.T, dir string) {
			b, _ := synth.Tekken(synth.TekkenOptions{VocabSize: 1300})
			os.WriteFile(filepath.Join(dir, "tekken.json"), b, 0o644)
		}, ErrTokenizer, []string{"1300 tokens", "vocab_size 1280"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := synthModel(t, c.model)
			if c.breakIt != nil {
				c.breakIt(t, dir)
			}
			outDir := t.TempDir()
			err := Export(context.Background(), dir, filepath.Join(outDir, "m.gguf"), Options{})
			if !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %v", err, c.is)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
				t.Errorf("left %d files in the output folder", len(ents))
			}
		})
	}
}

// TestExportCancelled stops an export after its header: no file, no
// temporary file.
func TestExportCancelled(t *testing.T) {
	dir := synthModel(t, synth.ModelOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	outDir := t.TempDir()
	if err := Export(ctx, dir, filepath.Join(outDir, "m.gguf"), Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
}

// TestExportMetadata checks the general.* and llama.* keys a runtime reads.
func TestExportMetadata(t *testing.T) {
	dir := synthModel(t, synth.ModelOptions{Dim: 64, Heads: 2, HeadDim: 16})
	out := export(t, dir, Options{Type: FileQ8_0, Name: "support-assistant", License: "Apache-2.0 AND MIT",
		BaseModels: []BaseModel{{Name: "mistral-7b-instruct-v0.3", Organization: "mistralai"}}})
	f, err := ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"general.architecture": "llama", "general.name": "support-assistant", "general.license": "Apache-2.0 AND MIT",
		"general.base_model.count": uint32(1), "general.base_model.0.name": "mistral-7b-instruct-v0.3",
		"general.base_model.0.organization": "mistralai", "general.file_type": uint32(7), "general.quantization_version": uint32(2),
		"llama.context_length": uint32(32768), "llama.embedding_length": uint32(64), "llama.block_count": uint32(2),
		"llama.feed_forward_length": uint32(128), "llama.attention.head_count": uint32(2), "llama.attention.head_count_kv": uint32(1),
		"llama.attention.key_length": uint32(16), "llama.attention.value_length": uint32(16), "llama.rope.freq_base": float32(1e6),
		"llama.attention.layer_norm_rms_epsilon": float32(1e-5), "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "tekken",
		"tokenizer.ggml.bos_token_id": uint32(1), "tokenizer.ggml.eos_token_id": uint32(2), "tokenizer.ggml.padding_token_id": uint32(11),
		"tokenizer.ggml.add_bos_token": true, "tokenizer.chat_template": synth.ChatTemplate,
	}
	for k, w := range want {
		if v, _ := f.Get(k); v != w {
			t.Errorf("%s = %#v, want %#v", k, v, w)
		}
	}
	for _, ti := range f.Tensors {
		if strings.HasSuffix(ti.Name, "norm.weight") && ti.Type != F32 {
			t.Errorf("%s is %s, norms must be F32", ti.Name, ti.Type)
		}
	}
}
