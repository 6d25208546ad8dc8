package compat

import (
	"math"
	"strings"
)

// params returns params.json parsed once, or nil when absent or invalid.
func (c *checker) params() *Params {
	return once(c.b, "params", func() *Params {
		data, ok := c.b.read("params.json")
		if !ok {
			return nil
		}
		p, problems, err := ParseParams(data)
		if err != nil {
			c.b.malformed("params.json", err)
			return nil
		}
		for _, pr := range problems {
			c.rep.add(ParamsInvalid, "params.json", pr.Key, "%s: %s (mistral-inference's TransformerArgs needs dim, n_layers, head_dim, hidden_dim, n_heads, n_kv_heads, norm_eps, vocab_size)", pr.Key, pr.Message)
		}
		if len(problems) > 0 {
			return nil
		}
		return p
	})
}

func (c *checker) checkParams() { c.params() }

func (c *checker) checkNativeTensors() {
	p := c.params()
	w := nativeWeights(c.b)
	actual := c.b.tensors(w.all()) // reports unreadable weights even without params
	if p == nil || p.ModelType == "mamba" || len(actual) == 0 {
		return
	}
	skip := func(name string) bool { return p.Quantized && strings.Contains(name, "scale") }
	c.compareTensors(p.ExpectedTensors(), actual, "params.json", w.all()[0], skip)
}

func isEmbedding(name string) bool {
	return name == "tok_embeddings.weight" || name == "output.weight" ||
		strings.HasSuffix(name, "embed_tokens.weight") || strings.HasSuffix(name, "lm_head.weight")
}

func (s Shape) equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// checkNativeVocab checks params vocab_size against the tokenizer's size.
func (c *checker) checkNativeVocab() {
	p, tok := c.params(), c.tokenizer()
	if p == nil || tok == nil {
		return
	}
	size, what := tok.size()
	if size > 0 && size != p.VocabSize {
		c.rep.add(VocabTokenizer, "params.json", "vocab_size", "params.json vocab_size %d but %s has %s %d: ids beyond the embedding crash, or the model never emits some tokens", p.VocabSize, tok.file, what, size)
	}
}

// hfConfig returns config.json's text config (text_config for vision models).
func (c *checker) hfConfig() (cfg, text obj) {
	cfg = c.b.json("config.json")
	if cfg == nil {
		return nil, nil
	}
	if t := cfg.sub("text_config"); t != nil {
		return cfg, t
	}
	return cfg, cfg
}

// checkConfigParams compares config.json with params.json where both exist.
func (c *checker) checkConfigParams() {
	p := c.params()
	if p == nil || !c.b.has("config.json") || p.ModelType == "mamba" {
		return
	}
	_, t := c.hfConfig()
	if t == nil {
		return
	}
	pairs := []struct {
		hf, native string
		want       float64
	}{
		{"hidden_size", "dim", float64(p.Dim)}, {"num_hidden_layers", "n_layers", float64(p.NLayers)},
		{"num_attention_heads", "n_heads", float64(p.NHeads)}, {"num_key_value_heads", "n_kv_heads", float64(p.NKVHeads)},
		{"intermediate_size", "hidden_dim", float64(p.HiddenDim)}, {"vocab_size", "vocab_size", float64(p.VocabSize)},
		{"head_dim", "head_dim", float64(p.HeadDim)}, {"rms_norm_eps", "norm_eps", p.NormEps},
	}
	if p.NumExperts > 0 {
		pairs = append(pairs, struct {
			hf, native string
			want       float64
		}{"num_local_experts", "moe.num_experts", float64(p.NumExperts)})
	}
	if p.native != nil && p.native.RopeTheta != nil {
		pairs = append(pairs, struct {
			hf, native string
			want       float64
		}{"rope_theta", "rope_theta", *p.native.RopeTheta})
	}
	if tie, ok := t["tie_word_embeddings"].(bool); ok && tie != p.TiedEmbeddings {
		c.rep.add(ConfigParamsMismatch, "config.json", "tie_word_embeddings", "config.json tie_word_embeddings = %v but params.json tied_embeddings = %v: one runtime expects output.weight, the other not", tie, p.TiedEmbeddings)
	}
	if v, vc := p.Vision, c.hfVisionConfig(); v != nil && vc != nil {
		for _, pr := range []struct {
			key  string
			want int
		}{{"hidden_size", v.HiddenSize}, {"patch_size", v.PatchSize}, {"image_size", v.ImageSize},
			{"num_hidden_layers", v.NumHiddenLayers}, {"num_attention_heads", v.NumAttentionHeads}, {"intermediate_size", v.IntermediateSize}} {
			if got, ok := vc.int(pr.key); ok && got != int64(pr.want) {
				c.rep.add(ConfigParamsMismatch, "config.json", "vision_config."+pr.key, "config.json vision_config.%s = %d but params.json vision_encoder.%s = %d", pr.key, got, pr.key, pr.want)
			}
		}
	}
	for _, pr := range pairs {
		got, ok := t.num(pr.hf)
		if ok && math.Abs(got-pr.want) > 1e-9*math.Max(1, math.Abs(pr.want)) {
			c.rep.add(ConfigParamsMismatch, "config.json", pr.hf, "config.json %s = %v but params.json %s = %v: vLLM and transformers would build different models", pr.hf, got, pr.native, pr.want)
		}
	}
}

// checkHFTensors checks the HF tensors against config.json and its vocab
// size against the tokenizer.
func (c *checker) checkHFTensors() {
	w := hfWeights(c.b)
	actual := c.b.tensors(w.all())
	_, t := c.hfConfig()
	if t == nil || len(actual) == 0 {
		return
	}
	vocab, ok := t.int("vocab_size")
	if !ok {
		c.rep.add(ConfigParamsMismatch, "config.json", "vocab_size", "config.json has no integer vocab_size")
		return
	}
	if want := c.hfExpected(); want != nil {
		cfg, _ := c.hfConfig()
		_, quantized := cfg["quantization_config"]
		skip := func(name string) bool { return quantized && strings.Contains(name, "scale") }
		c.compareTensors(want, actual, "config.json", w.all()[0], skip)
	}
	if tok := c.tokenizer(); tok != nil {
		if size, what := tok.size(); size > 0 && int64(size) != vocab {
			c.rep.add(VocabTokenizer, "config.json", "vocab_size", "config.json vocab_size %d but %s has %s %d", vocab, tok.file, what, size)
		}
	}
}
