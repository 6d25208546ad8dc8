package compat

import (
	"encoding/json"
	"fmt"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"sort"
)

// Params is what the rules read from a native params.json.
type Params struct {
	Dim, NLayers, HeadDim, HiddenDim, NHeads, NKVHeads, VocabSize int
	NormEps                                                       float64
	ModelType                                                     string
	TiedEmbeddings                                                bool
	// NumExperts is moe.num_experts (0: dense).
	NumExperts int
	// Quantized is true when params.json declares a quantization.
	Quantized bool
	Vision    *VisionParams
	native    *mistral.Params
}

// VisionParams is params.json's vision_encoder (or
// multimodal.vision_encoder_args), with mistral-inference's defaults.
type VisionParams struct {
	HiddenSize, NumChannels, ImageSize, PatchSize, IntermediateSize int
	NumHiddenLayers, NumAttentionHeads, MaxImageSize                int
	ImageTokenID, ImageBreakTokenID, ImageEndTokenID                int
	SpatialMergeSize                                                int
	AdapterBias, PreMMProjectorNorm, PatchMerge                     bool
}

// Bounds beyond which params.json is treated as invalid, so that the
// expected tensor list stays small.
const (
	maxLayers  = 4096
	maxExperts = 4096
	// maxLayerExperts bounds layers × experts (Mixtral 8x22B: 56 × 8).
	maxLayerExperts = 1 << 16
)

// tooManyTensors reports whether layers × experts exceeds the bound.
func tooManyTensors(layers, experts int) bool {
	return int64(layers)*int64(max(experts, 1)) > maxLayerExperts
}

// ParamProblem is one invalid or missing key of params.json.
type ParamProblem struct {
	Key, Message string
}

// ParseParams decodes params.json. It returns an error only when the bytes
// are not a JSON object; every missing or mistyped key is a problem, and
// the returned Params is usable only when there are none.
func ParseParams(data []byte) (*Params, []ParamProblem, error) {
	var o map[string]any
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, nil, fmt.Errorf("params.json: %w", err)
	}
	if o == nil {
		return nil, nil, fmt.Errorf("params.json: not a JSON object")
	}
	d := &decoder{o: o}
	p := &Params{}
	p.ModelType, _ = obj(o).str("model_type")
	if p.ModelType == "mamba" {
		p.Dim, p.NLayers, p.VocabSize = d.pos("dim"), d.pos("n_layers"), d.pos("vocab_size")
		return p, d.problems, nil
	}
	p.Dim, p.NLayers, p.HeadDim = d.pos("dim"), d.pos("n_layers"), d.pos("head_dim")
	p.HiddenDim, p.NHeads, p.NKVHeads = d.pos("hidden_dim"), d.pos("n_heads"), d.pos("n_kv_heads")
	p.VocabSize = d.pos("vocab_size")
	if v, ok := obj(o).num("norm_eps"); ok && v > 0 {
		p.NormEps = v
	} else {
		d.bad("norm_eps", "required positive number")
	}
	p.TiedEmbeddings, _ = o["tied_embeddings"].(bool)
	_, p.Quantized = o["quantization"]
	if moe, ok := o["moe"]; ok && moe != nil {
		md := d.child("moe", moe)
		p.NumExperts = md.pos("num_experts")
		md.pos("num_experts_per_tok")
	}
	if ve := visionObject(obj(o)); ve != nil {
		vd := d.child("vision_encoder", map[string]any(ve))
		p.Vision = parseVision(vd)
		if p.Vision.NumHiddenLayers > maxLayers {
			vd.bad("num_hidden_layers", fmt.Sprintf("implausibly large (> %d)", maxLayers))
		}
	}
	checkVLLMKeys(d, o)
	if p.NLayers > maxLayers {
		d.bad("n_layers", fmt.Sprintf("implausibly large (> %d)", maxLayers))
	}
	if p.NumExperts > maxExperts {
		d.bad("moe.num_experts", fmt.Sprintf("implausibly large (> %d)", maxExperts))
	} else if tooManyTensors(p.NLayers, p.NumExperts) {
		d.bad("moe.num_experts", fmt.Sprintf("n_layers × num_experts is implausibly large (> %d)", maxLayerExperts))
	}
	if len(d.problems) == 0 {
		mp, err := mistral.ParseParams(data)
		if err != nil {
			d.bad("", err.Error())
		}
		p.native = mp
	}
	return p, d.problems, nil
}

// checkVLLMKeys checks the optional keys vLLM's adapt_config_dict asserts
// on: sliding_window (an int, or a list of ints and nulls with at most one
// distinct value) and yarn (known keys only).
func checkVLLMKeys(d *decoder, o map[string]any) {
	switch sw := o["sliding_window"].(type) {
	case nil:
	case float64:
		if sw <= 0 || sw != float64(int64(sw)) {
			d.bad("sliding_window", fmt.Sprintf("must be a positive integer, got %v", sw))
		}
	case []any:
		distinct := map[float64]bool{}
		for _, e := range sw {
			if f, ok := e.(float64); ok && f > 0 && f == float64(int64(f)) {
				distinct[f] = true
			} else if e != nil {
				d.bad("sliding_window", fmt.Sprintf("list entries must be positive integers or null, got %v", e))
				return
			}
		}
		if len(distinct) > 1 {
			d.bad("sliding_window", "vLLM allows at most one distinct window size in the list")
		}
	default:
		d.bad("sliding_window", fmt.Sprintf("must be an integer or a list, got %v", sw))
	}
	if y, ok := o["yarn"].(map[string]any); ok {
		for k := range y {
			switch k {
			case "factor", "original_max_position_embeddings", "beta", "alpha", "apply_scale":
			default:
				d.bad("yarn."+k, "unknown yarn key: vLLM asserts on it")
			}
		}
	}
}

func visionObject(o obj) obj {
	if ve := o.sub("vision_encoder"); ve != nil {
		return ve
	}
	return o.sub("multimodal").sub("vision_encoder_args")
}

func parseVision(d *decoder) *VisionParams {
	o := obj(d.o)
	v := &VisionParams{ImageTokenID: 10, ImageBreakTokenID: 12, ImageEndTokenID: 13, SpatialMergeSize: 1, AdapterBias: true}
	v.HiddenSize, v.NumChannels = d.pos("hidden_size"), d.pos("num_channels")
	v.ImageSize, v.PatchSize = d.pos("image_size"), d.pos("patch_size")
	v.IntermediateSize, v.NumHiddenLayers = d.pos("intermediate_size"), d.pos("num_hidden_layers")
	v.NumAttentionHeads = d.pos("num_attention_heads")
	d.opt("max_image_size", &v.MaxImageSize)
	d.opt("image_token_id", &v.ImageTokenID)
	d.opt("image_break_token_id", &v.ImageBreakTokenID)
	d.opt("image_end_token_id", &v.ImageEndTokenID)
	d.opt("spatial_merge_size", &v.SpatialMergeSize)
	if b, ok := o["adapter_bias"].(bool); ok {
		v.AdapterBias = b
	}
	v.PreMMProjectorNorm, _ = o["add_pre_mm_projector_layer_norm"].(bool)
	id, _ := o.str("mm_projector_id")
	v.PatchMerge = id == "patch_merge"
	return v
}

// decoder reads typed keys from a JSON object and records problems.
type decoder struct {
	prefix   string
	o        map[string]any
	problems []ParamProblem
	parent   *decoder
}

func (d *decoder) child(key string, v any) *decoder {
	m, ok := v.(map[string]any)
	if !ok {
		d.bad(key, "must be an object")
		m = map[string]any{}
	}
	return &decoder{prefix: d.prefix + key + ".", o: m, parent: d}
}

func (d *decoder) bad(key, msg string) {
	root := d
	for root.parent != nil {
		root = root.parent
	}
	root.problems = append(root.problems, ParamProblem{Key: d.prefix + key, Message: msg})
}

// pos reads a required positive integer.
func (d *decoder) pos(key string) int {
	v, present := d.o[key]
	n, ok := obj(d.o).int(key)
	switch {
	case !present:
		d.bad(key, "required key is missing")
	case !ok || n <= 0 || n > 1<<40:
		d.bad(key, fmt.Sprintf("must be a positive integer, got %v", v))
	default:
		return int(n)
	}
	return 0
}

// opt reads an optional non-negative integer into dst.
func (d *decoder) opt(key string, dst *int) {
	v, present := d.o[key]
	if !present || v == nil {
		return
	}
	n, ok := obj(d.o).int(key)
	if !ok || n < 0 || n > 1<<40 {
		d.bad(key, fmt.Sprintf("must be a non-negative integer, got %v", v))
		return
	}
	*dst = int(n)
}

// Shape is a tensor shape.
type Shape []int64

func (s Shape) String() string { return fmt.Sprint([]int64(s)) }

// ExpectedTensors returns every native tensor name params imply, with its
// shape (mistral-inference's strict load, from packaging/mistral).
func (p *Params) ExpectedTensors() map[string]Shape {
	m := map[string]Shape{}
	if p.native == nil {
		return m
	}
	for _, t := range mistral.ExpectedTensors(p.native) {
		m[t.Name] = Shape(t.Shape)
	}
	return m
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
