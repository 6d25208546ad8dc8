package breaks

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// breaks maps each rule code to the mutation that makes it fire.
func breaks() map[compat.Code]func(*target) error {
	m := map[compat.Code]func(*target) error{
		"files.missing":      breakFilesMissing,
		"files.mixed_layout": breakMixed,
		"files.malformed":    breakMalformed,
		"tokenizer.multiple": func(t *target) error {
			if err := t.needNative(); err != nil {
				return err
			}
			name, err := t.tekken()
			if err != nil {
				return err
			}
			t.opts.Profiles = []string{"mistral-inference"}
			return copyFile(t.path(name), t.path("tekken_240911.json"))
		},
		"tokenizer.unrecognized":     breakUnrecognized,
		"tokenizer.required_special": func(t *target) error { return t.renameSpecial("[INST]", "[INSTRUCTION]") },
		"weights.sharded":            func(t *target) error { return t.shard(false) },
		"weights.multiple": func(t *target) error {
			if err := t.needNative(); err != nil {
				return err
			}
			return copyFile(t.weightsFile(), t.path("consolidated.00.pth"))
		},
		"weights.index": func(t *target) error {
			t.opts.Profiles = []string{"vllm-mistral"}
			return t.shard(true)
		},
		"params.invalid": func(t *target) error {
			if !t.native {
				return editJSON(t.dir, "config.json", func(m map[string]any) error { m["num_attention_heads"] = 0; return nil })
			}
			return editJSON(t.dir, "params.json", func(m map[string]any) error { delete(m, "n_kv_heads"); return nil })
		},
		"params.tensor_missing": func(t *target) error {
			name := t.tensorName("layers.0.ffn_norm.weight")
			return t.modelTensors(func(s []safetensors.Spec) []safetensors.Spec { return dropSpec(s, name) })
		},
		"params.tensor_shape": func(t *target) error {
			name := t.tensorName("layers.0.ffn_norm.weight")
			return t.modelTensors(func(s []safetensors.Spec) []safetensors.Spec {
				return reshape(s, name, func(sh []int64) []int64 { return []int64{sh[0] * 2} })
			})
		},
		"tensor.unexpected": func(t *target) error {
			name := t.tensorName("layers.0.attention.wq") + ".bias"
			return t.modelTensors(func(s []safetensors.Spec) []safetensors.Spec {
				return append(s, safetensors.Spec{Name: name, DType: s[0].DType, Shape: []int64{4}})
			})
		},
		"config.params_mismatch": breakConfigParams,
		"vocab.tokenizer": func(t *target) error {
			return t.editTekken(func(m map[string]any) error {
				c := subObj(m, "config")
				c["default_vocab_size"] = c["default_vocab_size"].(float64) - 1
				return nil
			})
		},
		"vocab.embedding_rows": breakEmbeddingRows,
		"eos.missing":          func(t *target) error { return t.renameSpecial("</s>", "[END]") },
		"eos.mismatch":         func(t *target) error { return t.generationConfig("eos_token_id", 3) },
		"bos.mismatch":         func(t *target) error { return t.generationConfig("bos_token_id", 3) },
		"pad.equals_eos":       func(t *target) error { return t.generationConfig("pad_token_id", 2) },
		"pad.out_of_range":     func(t *target) error { return t.generationConfig("pad_token_id", 1<<30) },
		"pad.mismatch":         func(t *target) error { return t.generationConfig("pad_token_id", 12) },
	}
	for code, fn := range tekkenBreaks() {
		m[code] = fn
	}
	for code, fn := range templateBreaks() {
		m[code] = fn
	}
	for code, fn := range loraBreaks() {
		m[code] = fn
	}
	for code, fn := range visionBreaks() {
		m[code] = fn
	}
	m["id.latest"] = func(t *target) error { return t.modelCard("mistral-small-latest") }
	m["id.retired"] = func(t *target) error { return t.modelCard("mistralai/Pixtral-12B-2409") }
	return m
}

func breakFilesMissing(t *target) error {
	if t.adapter {
		return os.Remove(t.path("adapter_model.safetensors"))
	}
	if t.native {
		return os.Remove(t.path("params.json"))
	}
	if !t.has("generation_config.json") {
		return nil
	}
	return os.Remove(t.path("generation_config.json"))
}

func breakMixed(t *target) error {
	if t.native {
		return copyFile(t.path("consolidated.safetensors"), t.path("model.safetensors"))
	}
	return copyFile(t.path("model.safetensors"), t.path("consolidated.safetensors"))
}

func breakMalformed(t *target) error {
	name := "config.json"
	switch {
	case t.adapter:
		name = "adapter_config.json"
	case t.native:
		name = "params.json"
	}
	data, err := os.ReadFile(t.path(name))
	if err != nil {
		return err
	}
	return writeFile(t.path(name), data[:len(data)/2])
}

// breakUnrecognized replaces tekken.json by a SentencePiece file with an
// unknown version suffix and the same vocabulary size.
func breakUnrecognized(t *target) error {
	if err := t.needNative(); err != nil {
		return err
	}
	name, err := t.tekken()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(t.path(name))
	if err != nil {
		return err
	}
	tk, err := compat.ParseTekken(data)
	if err != nil {
		return err
	}
	pieces := append([]string{}, tk.Specials()...)
	for len(pieces) < tk.Config.DefaultVocabSize {
		pieces = append(pieces, fmt.Sprintf("▁p%d", len(pieces)))
	}
	if err := os.WriteFile(t.path("tokenizer.model.v4"), compat.EncodeSPM(pieces[:tk.Config.DefaultVocabSize]), 0o644); err != nil {
		return err
	}
	return os.Remove(t.path(name))
}

// shard turns consolidated.safetensors into one shard with an index;
// broken leaves a tensor out of the index.
func (t *target) shard(broken bool) error {
	if err := t.needNative(); err != nil {
		return err
	}
	shard := "consolidated-00001-of-00001.safetensors"
	h, err := safetensors.ReadFileHeader(t.path("consolidated.safetensors"))
	if err != nil {
		return err
	}
	idx := &safetensors.Index{WeightMap: map[string]string{}}
	for _, ti := range h.Tensors {
		idx.WeightMap[ti.Name] = shard
		idx.Metadata.TotalSize += ti.Len()
	}
	if broken {
		delete(idx.WeightMap, "norm.weight")
	}
	if err := safetensors.WriteIndex(t.path("consolidated.safetensors.index.json"), idx); err != nil {
		return err
	}
	return os.Rename(t.path("consolidated.safetensors"), t.path(shard))
}

// modelTensors rewrites the folder's single weights file.
func (t *target) modelTensors(edit func([]safetensors.Spec) []safetensors.Spec) error {
	if !t.has(filepath.Base(t.weightsFile())) {
		return fmt.Errorf("%w: sharded weights; synthesize an unsharded model", ErrLayout)
	}
	return rewriteTensors(t.weightsFile(), edit)
}

// tensorName returns a native tensor's name in the folder's layout.
func (t *target) tensorName(native string) string {
	if t.native {
		return native
	}
	if hf, err := (mistral.NameMap{}).ToHF(native); err == nil {
		return hf
	}
	return native
}

func dropSpec(s []safetensors.Spec, name string) []safetensors.Spec {
	var out []safetensors.Spec
	for _, x := range s {
		if x.Name != name {
			out = append(out, x)
		}
	}
	return out
}

func reshape(s []safetensors.Spec, name string, f func([]int64) []int64) []safetensors.Spec {
	for i := range s {
		if s[i].Name == name {
			s[i].Shape = f(s[i].Shape)
		}
	}
	return s
}

// breakConfigParams writes the other layout's config with one value off.
func breakConfigParams(t *target) error {
	if t.native {
		p, err := os.ReadFile(t.path("params.json"))
		if err != nil {
			return err
		}
		pp, _, err := compat.ParseParams(p)
		if err != nil {
			return err
		}
		return editJSON(t.dir, "config.json", func(m map[string]any) error {
			m["model_type"], m["hidden_size"], m["num_hidden_layers"] = "mistral", pp.Dim+1, pp.NLayers
			return nil
		})
	}
	return editJSON(t.dir, "config.json", func(m map[string]any) error {
		m["rms_norm_eps"] = 0.5
		return t.writeParamsFrom(m)
	})
}

// writeParamsFrom writes params.json mirroring an HF config, norm_eps aside.
func (t *target) writeParamsFrom(cfg map[string]any) error {
	return editJSON(t.dir, "params.json", func(m map[string]any) error {
		for hf, native := range map[string]string{"hidden_size": "dim", "num_hidden_layers": "n_layers", "head_dim": "head_dim",
			"intermediate_size": "hidden_dim", "num_attention_heads": "n_heads", "num_key_value_heads": "n_kv_heads", "vocab_size": "vocab_size"} {
			m[native] = cfg[hf]
		}
		if m["head_dim"] == nil {
			m["head_dim"] = cfg["hidden_size"].(float64) / cfg["num_attention_heads"].(float64)
		}
		m["norm_eps"] = 1e-5
		return nil
	})
}

func breakEmbeddingRows(t *target) error {
	name := "tok_embeddings.weight"
	if !t.native {
		h, err := safetensors.ReadFileHeader(t.weightsFile())
		if err != nil {
			return err
		}
		for _, ti := range h.Tensors {
			if strings.HasSuffix(ti.Name, "embed_tokens.weight") {
				name = ti.Name
			}
		}
	}
	return rewriteTensors(t.weightsFile(), func(s []safetensors.Spec) []safetensors.Spec {
		return reshape(s, name, func(sh []int64) []int64 { return []int64{sh[0] + 8, sh[1]} })
	})
}

// modelCard writes a README.md whose front matter names a base model.
func (t *target) modelCard(id string) error {
	card := "---\nbase_model: " + id + "\nlicense: apache-2.0\n---\n# Synthetic model\n"
	return writeFile(t.path("README.md"), []byte(card))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// loraBreaks returns the PEFT adapter mutations.
func loraBreaks() map[compat.Code]func(*target) error {
	set := func(key string, v any) func(*target) error {
		return func(t *target) error {
			return editJSON(t.dir, "adapter_config.json", func(m map[string]any) error {
				if v == nil {
					delete(m, key)
				} else {
					m[key] = v
				}
				return nil
			})
		}
	}
	return map[compat.Code]func(*target) error{
		"lora.config":          set("lora_alpha", 0),
		"lora.rank":            set("r", 1e12),
		"lora.max_lora_rank":   set("r", 64),
		"lora.target_modules":  set("target_modules", []string{}),
		"lora.modules_to_save": set("modules_to_save", []string{"lm_head"}),
		"lora.dora":            set("use_dora", true),
		"lora.rslora":          set("use_rslora", true),
		"lora.format": func(t *target) error {
			if err := os.Rename(t.path("adapter_model.safetensors"), t.path("lora.safetensors")); err != nil {
				return err
			}
			return os.Remove(t.path("adapter_config.json"))
		},
	}
}
