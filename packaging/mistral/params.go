package mistral

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
)

// Params is a native params.json (mistral-inference TransformerArgs plus the
// keys vLLM accepts). Keys this type does not model are kept verbatim and
// written back by MarshalJSON.
type Params struct {
	Dim       int     `json:"dim"`
	NLayers   int     `json:"n_layers"`
	HeadDim   int     `json:"head_dim"`
	HiddenDim int     `json:"hidden_dim"`
	NHeads    int     `json:"n_heads"`
	NKVHeads  int     `json:"n_kv_heads"`
	NormEps   float64 `json:"norm_eps"`
	VocabSize int     `json:"vocab_size"`

	// RopeTheta is absent in old files; mistral-inference then uses 1e6.
	RopeTheta     *float64       `json:"rope_theta,omitempty"`
	MoE           *MoE           `json:"moe,omitempty"`
	LoRA          *LoRA          `json:"lora,omitempty"`
	ModelType     string         `json:"model_type,omitempty"`
	VisionEncoder *VisionEncoder `json:"vision_encoder,omitempty"`
	// SlidingWindow is an int, a list of int/null, or absent.
	SlidingWindow         json.RawMessage `json:"sliding_window,omitempty"`
	MaxSeqLen             int             `json:"max_seq_len,omitempty"`
	MaxPositionEmbeddings int             `json:"max_position_embeddings,omitempty"`
	TiedEmbeddings        bool            `json:"tied_embeddings,omitempty"`
	Activation            string          `json:"activation,omitempty"`
	DType                 string          `json:"dtype,omitempty"`
	Quantization          json.RawMessage `json:"quantization,omitempty"`
	Yarn                  json.RawMessage `json:"yarn,omitempty"`
	Llama4Scaling         json.RawMessage `json:"llama_4_scaling,omitempty"`
	Multimodal            json.RawMessage `json:"multimodal,omitempty"`

	// extra holds every key of the file, so that unknown keys (MLA,
	// mamba, future ones) survive a round trip in their original form.
	extra map[string]json.RawMessage
}

// MoE is the params.json "moe" block (extended vLLM keys kept as extra).
type MoE struct {
	NumExperts         int `json:"num_experts"`
	NumExpertsPerTok   int `json:"num_experts_per_tok"`
	ExpertHiddenDim    int `json:"expert_hidden_dim,omitempty"`
	NumSharedExperts   int `json:"num_shared_experts,omitempty"`
	FirstKDenseReplace int `json:"first_k_dense_replace,omitempty"`
}

// LoRA is the params.json "lora" block mistral-finetune writes; Scaling is
// absolute (W' = W + scaling·B·A).
type LoRA struct {
	Enable  *bool   `json:"enable,omitempty"`
	Rank    int     `json:"rank"`
	Dropout float64 `json:"dropout"`
	Scaling float64 `json:"scaling"`
}

// VisionEncoder is params.json "vision_encoder" (Pixtral, Mistral Small 3.x).
type VisionEncoder struct {
	HiddenSize                 int     `json:"hidden_size"`
	NumChannels                int     `json:"num_channels"`
	ImageSize                  int     `json:"image_size"`
	PatchSize                  int     `json:"patch_size"`
	IntermediateSize           int     `json:"intermediate_size"`
	NumHiddenLayers            int     `json:"num_hidden_layers"`
	NumAttentionHeads          int     `json:"num_attention_heads"`
	RopeTheta                  float64 `json:"rope_theta,omitempty"`
	ImageTokenID               *int    `json:"image_token_id,omitempty"`
	AdapterBias                *bool   `json:"adapter_bias,omitempty"`
	SpatialMergeSize           int     `json:"spatial_merge_size,omitempty"`
	AddPreMMProjectorLayerNorm bool    `json:"add_pre_mm_projector_layer_norm,omitempty"`
	MMProjectorID              string  `json:"mm_projector_id,omitempty"`
	MaxImageSize               int     `json:"max_image_size,omitempty"`
	ImageBreakTokenID          *int    `json:"image_break_token_id,omitempty"`
	ImageEndTokenID            *int    `json:"image_end_token_id,omitempty"`
}

// DefaultRopeTheta is mistral-inference's rope_theta when params.json has none.
const DefaultRopeTheta = 1e6

// ErrParams is wrapped by every params.json validation error.
var ErrParams = errors.New("invalid params.json")

var requiredKeys = []string{"dim", "n_layers", "head_dim", "hidden_dim", "n_heads", "n_kv_heads", "norm_eps", "vocab_size"}

// ParseParams parses and validates params.json bytes.
func ParseParams(b []byte) (*Params, error) {
	var extra map[string]json.RawMessage
	if err := json.Unmarshal(b, &extra); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrParams, err)
	}
	if extra == nil {
		return nil, fmt.Errorf("%w: not an object", ErrParams)
	}
	if sw, ok := extra["_sliding_window"]; ok {
		if _, has := extra["sliding_window"]; !has {
			extra["sliding_window"] = sw
		}
	}
	if isMamba(extra) {
		return nil, fmt.Errorf("%w: model_type mamba is not a transformer checkpoint", ErrParams)
	}
	for _, k := range requiredKeys {
		if _, ok := extra[k]; !ok {
			return nil, fmt.Errorf("%w: missing required key %q", ErrParams, k)
		}
	}
	norm, _ := json.Marshal(extra)
	p := &Params{}
	if err := json.Unmarshal(norm, p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrParams, err)
	}
	p.extra = extra
	return p, p.Validate()
}

func isMamba(m map[string]json.RawMessage) bool {
	return string(bytes.TrimSpace(m["model_type"])) == `"mamba"`
}

// ReadParams reads and validates a params.json file.
func ReadParams(path string) (*Params, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := ParseParams(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Validate checks the values the tensor shapes depend on.
func (p *Params) Validate() error {
	for _, c := range []struct {
		k string
		v int
	}{{"dim", p.Dim}, {"n_layers", p.NLayers}, {"head_dim", p.HeadDim}, {"hidden_dim", p.HiddenDim},
		{"n_heads", p.NHeads}, {"n_kv_heads", p.NKVHeads}, {"vocab_size", p.VocabSize}} {
		if c.v <= 0 || c.v > 1<<24 {
			return fmt.Errorf("%w: %s = %d must be positive", ErrParams, c.k, c.v)
		}
	}
	if p.NHeads%p.NKVHeads != 0 {
		return fmt.Errorf("%w: n_heads %d is not a multiple of n_kv_heads %d", ErrParams, p.NHeads, p.NKVHeads)
	}
	if p.HeadDim%2 != 0 {
		return fmt.Errorf("%w: head_dim %d must be even (rotary pairs)", ErrParams, p.HeadDim)
	}
	if !(p.NormEps > 0) {
		return fmt.Errorf("%w: norm_eps must be positive", ErrParams)
	}
	if p.MoE != nil && (p.MoE.NumExperts <= 0 || p.MoE.NumExperts > 1<<12 || p.MoE.NumExpertsPerTok <= 0) {
		return fmt.Errorf("%w: moe.num_experts and moe.num_experts_per_tok must be positive", ErrParams)
	}
	if p.LoRA != nil && (p.LoRA.Rank <= 0 || !(p.LoRA.Scaling > 0)) {
		return fmt.Errorf("%w: lora.rank and lora.scaling must be positive", ErrParams)
	}
	if v := p.VisionEncoder; v != nil {
		if v.HiddenSize <= 0 || v.NumAttentionHeads <= 0 || v.NumHiddenLayers <= 0 || v.IntermediateSize <= 0 ||
			v.PatchSize <= 0 || v.NumChannels <= 0 || v.HiddenSize > 1<<16 || v.NumHiddenLayers > 1<<10 {
			return fmt.Errorf("%w: vision_encoder sizes must be positive", ErrParams)
		}
	}
	return nil
}

// Theta returns rope_theta, or mistral-inference's default 1e6.
func (p *Params) Theta() float64 {
	if p.RopeTheta == nil {
		return DefaultRopeTheta
	}
	return *p.RopeTheta
}

// MarshalJSON writes every key of the original file, with the typed
// fields' current values laid over it (nested moe, lora and vision_encoder
// keep their unknown sub-keys), keys sorted.
func (p *Params) MarshalJSON() ([]byte, error) {
	type plain Params
	typed, err := json.Marshal((*plain)(p))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(typed, &m); err != nil {
		return nil, err
	}
	for k, v := range p.extra {
		cur, set := m[k]
		switch {
		case !set && (!typedKey(k) || zeroJSON(v)):
			m[k] = v
		case set && (k == "moe" || k == "lora" || k == "vision_encoder"):
			m[k] = overlay(v, cur)
		}
	}
	return json.Marshal(m)
}

// zeroJSON reports whether v is a zero-like value an omitempty field drops.
func zeroJSON(v json.RawMessage) bool {
	switch string(bytes.TrimSpace(v)) {
	case "false", "0", `""`, "null", "[]", "{}", "0.0":
		return true
	}
	return false
}

// overlay lays the keys of object top over object base.
func overlay(base, top json.RawMessage) json.RawMessage {
	var b, t map[string]json.RawMessage
	if json.Unmarshal(base, &b) != nil || json.Unmarshal(top, &t) != nil || b == nil {
		return top
	}
	for k, v := range t {
		b[k] = v
	}
	out, _ := json.Marshal(b)
	return out
}

// Extra returns the keys of the file this type does not model, sorted.
func (p *Params) Extra() []string {
	var out []string
	for k := range p.extra {
		if !typedKey(k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Architecture names the model family as vLLM would: mixtral with moe,
// pixtral with a vision encoder, else mistral.
func (p *Params) Architecture() string {
	switch {
	case p.VisionEncoder != nil:
		return "pixtral"
	case p.MoE != nil:
		return "mixtral"
	}
	return "mistral"
}

// typedKey reports whether k is a field of Params.
func typedKey(k string) bool {
	switch k {
	case "dim", "n_layers", "head_dim", "hidden_dim", "n_heads", "n_kv_heads", "norm_eps", "vocab_size",
		"rope_theta", "moe", "lora", "model_type", "vision_encoder", "sliding_window", "max_seq_len",
		"max_position_embeddings", "tied_embeddings", "activation", "dtype", "quantization", "yarn",
		"llama_4_scaling", "multimodal":
		return true
	}
	return false
}
