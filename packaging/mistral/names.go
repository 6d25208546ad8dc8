package mistral

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrUnknownName is returned for a tensor name outside the known layouts.
var ErrUnknownName = errors.New("no native/HF mapping for tensor")

var nativeRotary = regexp.MustCompile(`^(vision_encoder\.transformer\.)?layers\.\d+\.attention\.(wq|wk)(\.weight)?$`)

// nameRule maps one native name pattern to its HF form; "#" stands for a
// layer or expert number.
type nameRule struct{ native, hf string }

var textRules = []nameRule{
	{"tok_embeddings", "model.embed_tokens"},
	{"norm", "model.norm"},
	{"output", "lm_head"},
	{"layers.#.attention_norm", "model.layers.#.input_layernorm"},
	{"layers.#.ffn_norm", "model.layers.#.post_attention_layernorm"},
	{"layers.#.attention.wq", "model.layers.#.self_attn.q_proj"},
	{"layers.#.attention.wk", "model.layers.#.self_attn.k_proj"},
	{"layers.#.attention.wv", "model.layers.#.self_attn.v_proj"},
	{"layers.#.attention.wo", "model.layers.#.self_attn.o_proj"},
	{"layers.#.feed_forward.w1", "model.layers.#.mlp.gate_proj"},
	{"layers.#.feed_forward.w2", "model.layers.#.mlp.down_proj"},
	{"layers.#.feed_forward.w3", "model.layers.#.mlp.up_proj"},
	{"layers.#.feed_forward.gate", "model.layers.#.block_sparse_moe.gate"},
	{"layers.#.feed_forward.experts.#.w1", "model.layers.#.block_sparse_moe.experts.#.w1"},
	{"layers.#.feed_forward.experts.#.w2", "model.layers.#.block_sparse_moe.experts.#.w2"},
	{"layers.#.feed_forward.experts.#.w3", "model.layers.#.block_sparse_moe.experts.#.w3"},
}

var visionRules = []nameRule{
	{"vision_encoder.patch_conv", "vision_tower.patch_conv"},
	{"vision_encoder.ln_pre", "vision_tower.ln_pre"},
	{"vision_encoder.transformer.layers.#.attention_norm", "vision_tower.transformer.layers.#.attention_norm"},
	{"vision_encoder.transformer.layers.#.ffn_norm", "vision_tower.transformer.layers.#.ffn_norm"},
	{"vision_encoder.transformer.layers.#.attention.wq", "vision_tower.transformer.layers.#.attention.q_proj"},
	{"vision_encoder.transformer.layers.#.attention.wk", "vision_tower.transformer.layers.#.attention.k_proj"},
	{"vision_encoder.transformer.layers.#.attention.wv", "vision_tower.transformer.layers.#.attention.v_proj"},
	{"vision_encoder.transformer.layers.#.attention.wo", "vision_tower.transformer.layers.#.attention.o_proj"},
	{"vision_encoder.transformer.layers.#.feed_forward.w1", "vision_tower.transformer.layers.#.feed_forward.gate_proj"},
	{"vision_encoder.transformer.layers.#.feed_forward.w2", "vision_tower.transformer.layers.#.feed_forward.down_proj"},
	{"vision_encoder.transformer.layers.#.feed_forward.w3", "vision_tower.transformer.layers.#.feed_forward.up_proj"},
	{"vision_language_adapter.w_in", "multi_modal_projector.linear_1"},
	{"vision_language_adapter.w_out", "multi_modal_projector.linear_2"},
	{"patch_merger.merging_layer", "multi_modal_projector.patch_merger.merging_layer"},
	{"pre_mm_projector_norm", "multi_modal_projector.norm"},
}

// NameMap converts tensor names between the native and HF layouts. The zero
// value maps text models (Mistral, Mixtral); Vision maps Pixtral/Mistral 3,
// whose HF text tensors live under language_model.
type NameMap struct {
	Vision bool
}

type compiled struct {
	from *regexp.Regexp
	to   string
}

func compile(rules []nameRule, toHF bool) []compiled {
	var out []compiled
	for _, r := range rules {
		from, to := r.native, r.hf
		if !toHF {
			from, to = to, from
		}
		pat := "^" + strings.ReplaceAll(regexp.QuoteMeta(from), "#", `(\d+)`) + `(\.weight|\.bias)?$`
		n := 0
		var sb strings.Builder
		for _, c := range to {
			if c == '#' {
				n++
				fmt.Fprintf(&sb, "${%d}", n)
				continue
			}
			sb.WriteRune(c)
		}
		fmt.Fprintf(&sb, "${%d}", n+1)
		out = append(out, compiled{regexp.MustCompile(pat), sb.String()})
	}
	return out
}

func prefixed(rules []nameRule, prefix string) []nameRule {
	out := make([]nameRule, len(rules))
	for i, r := range rules {
		out[i] = nameRule{r.native, prefix + r.hf}
	}
	return out
}

// The compiled tables, immutable.
var (
	textToHF       = compile(textRules, true)
	textToNative   = compile(textRules, false)
	visionToHF     = append(compile(prefixed(textRules, "language_model."), true), compile(visionRules, true)...)
	visionToNative = append(compile(prefixed(textRules, "language_model."), false), compile(visionRules, false)...)
)

func (m NameMap) rules(toHF bool) []compiled {
	switch {
	case m.Vision && toHF:
		return visionToHF
	case m.Vision:
		return visionToNative
	case toHF:
		return textToHF
	}
	return textToNative
}

// ToHF returns the HF name of a native tensor or module name.
func (m NameMap) ToHF(native string) (string, error) { return m.apply(native, true) }

// ToNative returns the native name of an HF tensor or module name.
func (m NameMap) ToNative(hf string) (string, error) { return m.apply(hf, false) }

func (m NameMap) apply(name string, toHF bool) (string, error) {
	for _, r := range m.rules(toHF) {
		if r.from.MatchString(name) {
			return r.from.ReplaceAllString(name, r.to), nil
		}
	}
	return "", fmt.Errorf("%w %q", ErrUnknownName, name)
}
