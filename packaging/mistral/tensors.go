package mistral

import "fmt"

// TensorSpec is a tensor a model must have: its native name and shape.
type TensorSpec struct {
	Name  string
	Shape []int64
}

// ExpectedTensors lists the native tensor names and shapes p implies
// (mistral-inference's strict load): dense or MoE layers, the tied or
// separate output, and the vision encoder and adapter when present.
func ExpectedTensors(p *Params) []TensorSpec {
	d, v := int64(p.Dim), int64(p.VocabSize)
	out := []TensorSpec{{"tok_embeddings.weight", []int64{v, d}}, {"norm.weight", []int64{d}}}
	if !p.TiedEmbeddings {
		out = append(out, TensorSpec{"output.weight", []int64{v, d}})
	}
	q, kv, h := int64(p.NHeads*p.HeadDim), int64(p.NKVHeads*p.HeadDim), int64(p.HiddenDim)
	for l := 0; l < p.NLayers; l++ {
		pre := fmt.Sprintf("layers.%d.", l)
		out = append(out,
			TensorSpec{pre + "attention_norm.weight", []int64{d}},
			TensorSpec{pre + "attention.wq.weight", []int64{q, d}},
			TensorSpec{pre + "attention.wk.weight", []int64{kv, d}},
			TensorSpec{pre + "attention.wv.weight", []int64{kv, d}},
			TensorSpec{pre + "attention.wo.weight", []int64{d, q}},
			TensorSpec{pre + "ffn_norm.weight", []int64{d}})
		out = append(out, feedForward(p, pre+"feed_forward.", d, h)...)
	}
	if p.VisionEncoder != nil {
		out = append(out, visionTensors(p.VisionEncoder, d)...)
	}
	return out
}

func feedForward(p *Params, pre string, d, h int64) []TensorSpec {
	mlp := func(pre string, h int64) []TensorSpec {
		return []TensorSpec{{pre + "w1.weight", []int64{h, d}}, {pre + "w2.weight", []int64{d, h}}, {pre + "w3.weight", []int64{h, d}}}
	}
	if p.MoE == nil {
		return mlp(pre, h)
	}
	if p.MoE.ExpertHiddenDim > 0 {
		h = int64(p.MoE.ExpertHiddenDim)
	}
	out := []TensorSpec{{pre + "gate.weight", []int64{int64(p.MoE.NumExperts), d}}}
	for e := 0; e < p.MoE.NumExperts; e++ {
		out = append(out, mlp(fmt.Sprintf("%sexperts.%d.", pre, e), h)...)
	}
	return out
}

func visionTensors(v *VisionEncoder, dim int64) []TensorSpec {
	hs, in := int64(v.HiddenSize), int64(v.IntermediateSize)
	ps, ch := int64(v.PatchSize), int64(v.NumChannels)
	out := []TensorSpec{
		{"vision_encoder.patch_conv.weight", []int64{hs, ch, ps, ps}},
		{"vision_encoder.ln_pre.weight", []int64{hs}},
	}
	for l := 0; l < v.NumHiddenLayers; l++ {
		pre := fmt.Sprintf("vision_encoder.transformer.layers.%d.", l)
		out = append(out,
			TensorSpec{pre + "attention_norm.weight", []int64{hs}},
			TensorSpec{pre + "ffn_norm.weight", []int64{hs}})
		for _, w := range []string{"wq", "wk", "wv", "wo"} {
			out = append(out, TensorSpec{pre + "attention." + w + ".weight", []int64{hs, hs}})
		}
		out = append(out,
			TensorSpec{pre + "feed_forward.w1.weight", []int64{in, hs}},
			TensorSpec{pre + "feed_forward.w2.weight", []int64{hs, in}},
			TensorSpec{pre + "feed_forward.w3.weight", []int64{in, hs}})
	}
	out = append(out, TensorSpec{"vision_language_adapter.w_in.weight", []int64{dim, hs}},
		TensorSpec{"vision_language_adapter.w_out.weight", []int64{dim, dim}})
	if v.AdapterBias == nil || *v.AdapterBias {
		out = append(out, TensorSpec{"vision_language_adapter.w_in.bias", []int64{dim}},
			TensorSpec{"vision_language_adapter.w_out.bias", []int64{dim}})
	}
	if v.AddPreMMProjectorLayerNorm {
		out = append(out, TensorSpec{"pre_mm_projector_norm.weight", []int64{hs}})
	}
	if v.MMProjectorID == "patch_merge" {
		m := int64(max(v.SpatialMergeSize, 1))
		out = append(out, TensorSpec{"patch_merger.merging_layer.weight", []int64{hs, hs * m * m}})
	}
	return out
}

// RotaryHeads returns the head count to permute a native tensor's rows by
// when converting between native and HF bases: n_heads for wq, n_kv_heads
// for wk, the vision head count for vision wq/wk; ok is false for any other
// tensor. name may end in ".weight" or be a module name.
func RotaryHeads(p *Params, name string) (heads int, ok bool) {
	kind, vision := rotaryKind(name)
	switch {
	case kind == "" || vision && p.VisionEncoder == nil:
		return 0, false
	case vision:
		return p.VisionEncoder.NumAttentionHeads, true
	case kind == "wq":
		return p.NHeads, true
	}
	return p.NKVHeads, true
}

func rotaryKind(name string) (kind string, vision bool) {
	m := nativeRotary.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[2], m[1] != ""
}
