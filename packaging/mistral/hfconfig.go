package mistral

import (
	"encoding/json"
	"fmt"
	"os"
)

// HFConfig is the part of a transformers config.json (mistral, mixtral,
// mistral3) that fixes tensor names and shapes.
type HFConfig struct {
	Architectures         []string        `json:"architectures,omitempty"`
	ModelType             string          `json:"model_type"`
	HiddenSize            int             `json:"hidden_size"`
	NumHiddenLayers       int             `json:"num_hidden_layers"`
	NumAttentionHeads     int             `json:"num_attention_heads"`
	NumKeyValueHeads      int             `json:"num_key_value_heads,omitempty"`
	HeadDim               int             `json:"head_dim,omitempty"`
	IntermediateSize      int             `json:"intermediate_size"`
	RMSNormEps            float64         `json:"rms_norm_eps"`
	VocabSize             int             `json:"vocab_size"`
	RopeTheta             float64         `json:"rope_theta,omitempty"`
	TieWordEmbeddings     bool            `json:"tie_word_embeddings"`
	TorchDType            string          `json:"torch_dtype,omitempty"`
	MaxPositionEmbeddings int             `json:"max_position_embeddings,omitempty"`
	SlidingWindow         json.RawMessage `json:"sliding_window,omitempty"`
	BOSTokenID            *int            `json:"bos_token_id,omitempty"`
	EOSTokenID            json.RawMessage `json:"eos_token_id,omitempty"`
	NumLocalExperts       int             `json:"num_local_experts,omitempty"`
	NumExpertsPerTok      int             `json:"num_experts_per_tok,omitempty"`
	// Mistral 3 (vision) nests the text model and the vision tower.
	TextConfig   *HFConfig       `json:"text_config,omitempty"`
	VisionConfig *HFVisionConfig `json:"vision_config,omitempty"`
	// SpatialMergeSize and ProjectorBias are Mistral 3 top-level keys.
	SpatialMergeSize int   `json:"spatial_merge_size,omitempty"`
	ProjectorBias    *bool `json:"multimodal_projector_bias,omitempty"`
}

// HFVisionConfig is a Mistral 3 "vision_config" (pixtral).
type HFVisionConfig struct {
	HiddenSize        int `json:"hidden_size"`
	NumChannels       int `json:"num_channels"`
	ImageSize         int `json:"image_size"`
	PatchSize         int `json:"patch_size"`
	IntermediateSize  int `json:"intermediate_size"`
	NumHiddenLayers   int `json:"num_hidden_layers"`
	NumAttentionHeads int `json:"num_attention_heads"`
}

// ReadHFConfig reads a config.json.
func ReadHFConfig(path string) (*HFConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c HFConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// Params converts an HF config to the equivalent native params (the
// converter's defaults: n_kv_heads = n_heads, head_dim = hidden/heads).
func (c *HFConfig) Params() (*Params, error) {
	t := c
	if c.TextConfig != nil {
		t = c.TextConfig
	}
	p := &Params{Dim: t.HiddenSize, NLayers: t.NumHiddenLayers, HeadDim: t.HeadDim, HiddenDim: t.IntermediateSize,
		NHeads: t.NumAttentionHeads, NKVHeads: t.NumKeyValueHeads, NormEps: t.RMSNormEps, VocabSize: t.VocabSize,
		TiedEmbeddings: t.TieWordEmbeddings, MaxPositionEmbeddings: t.MaxPositionEmbeddings, SlidingWindow: t.SlidingWindow}
	if p.NKVHeads == 0 {
		p.NKVHeads = p.NHeads
	}
	if p.HeadDim == 0 && p.NHeads > 0 {
		p.HeadDim = p.Dim / p.NHeads
	}
	if t.RopeTheta != 0 {
		th := t.RopeTheta
		p.RopeTheta = &th
	}
	if t.NumLocalExperts > 0 {
		p.MoE = &MoE{NumExperts: t.NumLocalExperts, NumExpertsPerTok: t.NumExpertsPerTok}
	}
	if v := c.VisionConfig; v != nil {
		bias := c.ProjectorBias == nil || *c.ProjectorBias
		p.VisionEncoder = &VisionEncoder{HiddenSize: v.HiddenSize, NumChannels: v.NumChannels, ImageSize: v.ImageSize,
			PatchSize: v.PatchSize, IntermediateSize: v.IntermediateSize, NumHiddenLayers: v.NumHiddenLayers,
			NumAttentionHeads: v.NumAttentionHeads, AdapterBias: &bias, SpatialMergeSize: c.SpatialMergeSize}
		if c.SpatialMergeSize > 1 {
			p.VisionEncoder.MMProjectorID = "patch_merge"
		}
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	return p, nil
}

// Architecture returns the first architectures entry, or the model type.
func (c *HFConfig) Architecture() string {
	if c.ModelType != "" {
		return c.ModelType
	}
	if len(c.Architectures) > 0 {
		return c.Architectures[0]
	}
	return ""
}
