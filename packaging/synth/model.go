package synth

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// ModelOptions describe a synthetic model; the zero value is the tiny
// default model.
type ModelOptions struct {
	// Layout is mistral.FormatNative (default) or mistral.FormatHF.
	Layout mistral.Format
	// Dim (64), Layers (2), Heads (4), KVHeads (Heads/2, at least 1),
	// Hidden (2·Dim), Vocab (1280), HeadDim (Dim/Heads).
	Dim, Layers, Heads, KVHeads, Hidden, Vocab, HeadDim int
	// DType is bf16 (default), fp16 or fp32.
	DType string
	Seed  uint64
	// ShardSize splits HF weights into model-0000i-of-0000n.safetensors
	// shards of at most this many data bytes (0: one model.safetensors).
	ShardSize int64
	// Vision adds a small Pixtral vision encoder, its tensors, the
	// vision-language adapter and tekken.json's image section: in
	// params.json's vision_encoder (native), or as a Mistral 3 config.json
	// with text_config and vision_config plus processor_config.json (hf).
	Vision bool
}

// Vision encoder sizes of a synthetic vision model, and its image tokens
// (the ranks of [IMG], [IMG_BREAK] and [IMG_END] among tekken's specials).
const (
	visionPatch = 16
	visionImage = 64
	imgToken    = 10
	imgBreak    = 12
	imgEnd      = 13
)

func visionEncoder() *mistral.VisionEncoder {
	no := false
	return &mistral.VisionEncoder{HiddenSize: 32, NumChannels: 3, ImageSize: visionImage, PatchSize: visionPatch,
		IntermediateSize: 64, NumHiddenLayers: 1, NumAttentionHeads: 2, RopeTheta: 10000, AdapterBias: &no,
		SpatialMergeSize: 1, MaxImageSize: visionImage,
		ImageTokenID: ptr(imgToken), ImageBreakTokenID: ptr(imgBreak), ImageEndTokenID: ptr(imgEnd)}
}

func (o ModelOptions) withDefaults() ModelOptions {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Dim, 64)
	def(&o.Layers, 2)
	def(&o.Heads, 4)
	def(&o.KVHeads, max(1, o.Heads/2))
	def(&o.Hidden, 2*o.Dim)
	def(&o.Vocab, 1280)
	def(&o.HeadDim, o.Dim/max(1, o.Heads))
	if o.Layout == "" {
		o.Layout = mistral.FormatNative
	}
	if o.DType == "" {
		o.DType = "bf16"
	}
	return o
}

// Params returns the params.json the options describe.
func (o ModelOptions) Params() (*mistral.Params, error) {
	o = o.withDefaults()
	theta := 1e6
	p := &mistral.Params{Dim: o.Dim, NLayers: o.Layers, HeadDim: o.HeadDim, HiddenDim: o.Hidden, NHeads: o.Heads,
		NKVHeads: o.KVHeads, NormEps: 1e-5, VocabSize: o.Vocab, RopeTheta: &theta, MaxSeqLen: 32768}
	if o.Vision {
		p.VisionEncoder = visionEncoder()
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Model writes a synthetic model into dir (created if needed).
func Model(ctx context.Context, dir string, o ModelOptions) error {
	o = o.withDefaults()
	p, err := o.Params()
	if err != nil {
		return err
	}
	dt, err := safetensors.ParseShortName(o.DType)
	if err != nil {
		return err
	}
	if o.Layout != mistral.FormatNative && o.Layout != mistral.FormatHF {
		return fmt.Errorf("layout %q: want native (mistral) or hf", o.Layout)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeSideFiles(dir, o, p); err != nil {
		return err
	}
	return writeWeights(ctx, dir, o, p, dt)
}

func writeSideFiles(dir string, o ModelOptions, p *mistral.Params) error {
	tk, err := Tekken(TekkenOptions{VocabSize: o.Vocab, Image: o.Vision})
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"tekken.json":            tk,
		"chat_template.jinja":    []byte(ChatTemplate),
		"generation_config.json": mustJSON(generationConfig{BOS: 1, EOS: 2, Version: "4.46.0"}),
	}
	if o.Layout == mistral.FormatNative {
		files["params.json"] = mustJSON(p)
	} else {
		files["config.json"] = mustJSON(hfConfig(p, o.DType))
		if o.Vision {
			files["config.json"] = mustJSON(mistral3Config(p, o.DType))
			files["processor_config.json"] = mustJSON(processorConfig{Image: "[IMG]", Break: "[IMG_BREAK]", End: "[IMG_END]",
				PatchSize: visionPatch, MergeSize: 1, Class: "PixtralProcessor"})
		}
		files["tokenizer_config.json"] = mustJSON(tokenizerConfig{BOS: "<s>", EOS: "</s>", UNK: "<unk>", PAD: "<pad>",
			MaxLen: p.MaxSeqLen, Class: "TokenizersBackend", AddBOS: true})
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // only fixed, marshalable types reach here
	}
	return append(b, '\n')
}

type generationConfig struct {
	BOS     int    `json:"bos_token_id"`
	EOS     int    `json:"eos_token_id"`
	Version string `json:"transformers_version"`
}

type tokenizerConfig struct {
	AddBOS bool   `json:"add_bos_token"`
	BOS    string `json:"bos_token"`
	EOS    string `json:"eos_token"`
	UNK    string `json:"unk_token"`
	PAD    string `json:"pad_token"`
	MaxLen int    `json:"model_max_length"`
	Class  string `json:"tokenizer_class"`
}

type hfConfigJSON struct {
	Architectures         []string `json:"architectures"`
	ModelType             string   `json:"model_type"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"`
	HeadDim               int      `json:"head_dim"`
	HiddenAct             string   `json:"hidden_act"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	RMSNormEps            float64  `json:"rms_norm_eps"`
	RopeTheta             float64  `json:"rope_theta"`
	SlidingWindow         *int     `json:"sliding_window"`
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	TorchDType            string   `json:"torch_dtype"`
	VocabSize             int      `json:"vocab_size"`
	BOSTokenID            int      `json:"bos_token_id"`
	EOSTokenID            int      `json:"eos_token_id"`
	AttentionDropout      float64  `json:"attention_dropout"`
}

func hfConfig(p *mistral.Params, dtype string) hfConfigJSON {
	torch := map[string]string{"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}[dtype]
	return hfConfigJSON{Architectures: []string{"MistralForCausalLM"}, ModelType: "mistral", HiddenSize: p.Dim,
		IntermediateSize: p.HiddenDim, NumHiddenLayers: p.NLayers, NumAttentionHeads: p.NHeads, NumKeyValueHeads: p.NKVHeads,
		HeadDim: p.HeadDim, HiddenAct: "silu", MaxPositionEmbeddings: p.MaxSeqLen, RMSNormEps: p.NormEps,
		RopeTheta: p.Theta(), TorchDType: torch, VocabSize: p.VocabSize, BOSTokenID: 1, EOSTokenID: 2}
}

// mistral3Config is a Mistral 3 (vision) config.json: the text model's
// config nested under text_config beside the Pixtral vision_config.
func mistral3Config(p *mistral.Params, dtype string) any {
	text := hfConfig(p, dtype)
	text.Architectures = nil
	v := p.VisionEncoder
	no := false
	type vision struct {
		ModelType         string  `json:"model_type"`
		HiddenSize        int     `json:"hidden_size"`
		NumChannels       int     `json:"num_channels"`
		ImageSize         int     `json:"image_size"`
		PatchSize         int     `json:"patch_size"`
		IntermediateSize  int     `json:"intermediate_size"`
		NumHiddenLayers   int     `json:"num_hidden_layers"`
		NumAttentionHeads int     `json:"num_attention_heads"`
		HeadDim           int     `json:"head_dim"`
		RopeTheta         float64 `json:"rope_theta"`
	}
	return struct {
		Architectures   []string     `json:"architectures"`
		ModelType       string       `json:"model_type"`
		TextConfig      hfConfigJSON `json:"text_config"`
		VisionConfig    vision       `json:"vision_config"`
		ImageTokenIndex int          `json:"image_token_index"`
		SpatialMerge    int          `json:"spatial_merge_size"`
		ProjectorBias   *bool        `json:"multimodal_projector_bias"`
		ProjectorAct    string       `json:"projector_hidden_act"`
		VisionFeature   int          `json:"vision_feature_layer"`
		TorchDType      string       `json:"torch_dtype"`
	}{
		Architectures: []string{"Mistral3ForConditionalGeneration"}, ModelType: "mistral3", TextConfig: text,
		VisionConfig: vision{ModelType: "pixtral", HiddenSize: v.HiddenSize, NumChannels: v.NumChannels, ImageSize: v.ImageSize,
			PatchSize: v.PatchSize, IntermediateSize: v.IntermediateSize, NumHiddenLayers: v.NumHiddenLayers,
			NumAttentionHeads: v.NumAttentionHeads, HeadDim: v.HiddenSize / v.NumAttentionHeads, RopeTheta: v.RopeTheta},
		ImageTokenIndex: *v.ImageTokenID, SpatialMerge: v.SpatialMergeSize, ProjectorBias: &no, ProjectorAct: "gelu",
		VisionFeature: -1, TorchDType: text.TorchDType,
	}
}

type processorConfig struct {
	Image     string `json:"image_token"`
	Break     string `json:"image_break_token"`
	End       string `json:"image_end_token"`
	PatchSize int    `json:"patch_size"`
	MergeSize int    `json:"spatial_merge_size"`
	Class     string `json:"processor_class"`
}

// writeWeights writes consolidated.safetensors (native, no metadata) or
// model*.safetensors (HF, {"format":"pt"}, sharded with an index).
func writeWeights(ctx context.Context, dir string, o ModelOptions, p *mistral.Params, dt safetensors.DType) error {
	expected := mistral.ExpectedTensors(p)
	specs := make([]safetensors.Spec, len(expected))
	keys := map[string]string{} // file name → native name
	for i, ts := range expected {
		name := ts.Name
		if o.Layout == mistral.FormatHF {
			name, _ = mistral.NameMap{Vision: o.Vision}.ToHF(ts.Name)
		}
		specs[i] = safetensors.Spec{Name: name, DType: dt, Shape: ts.Shape}
		keys[name] = ts.Name
	}
	if o.Layout == mistral.FormatNative {
		return writeShards(ctx, []string{filepath.Join(dir, "consolidated.safetensors")}, [][]safetensors.Spec{specs}, keys, o, p, safetensors.WriteOptions{NoMetadata: true})
	}
	return writeHF(ctx, dir, specs, keys, o, p)
}

// writeHF writes the shards at once: one pool of generator workers fills
// every shard's tensors (memory: a block per worker, whatever the size).
func writeHF(ctx context.Context, dir string, specs []safetensors.Spec, keys map[string]string, o ModelOptions, p *mistral.Params) error {
	shards := safetensors.Shard(specs, o.ShardSize)
	if len(shards) == 1 {
		return writeShards(ctx, []string{filepath.Join(dir, "model.safetensors")}, shards, keys, o, p, safetensors.WriteOptions{})
	}
	idx := &safetensors.Index{WeightMap: map[string]string{}}
	var paths []string
	for i, sh := range shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		paths = append(paths, filepath.Join(dir, name))
		for _, s := range sh {
			idx.WeightMap[s.Name] = name
			idx.Metadata.TotalSize += safetensors.SpecBytes(s)
		}
	}
	if err := writeShards(ctx, paths, shards, keys, o, p, safetensors.WriteOptions{}); err != nil {
		return err
	}
	return safetensors.WriteIndex(filepath.Join(dir, "model.safetensors.index.json"), idx)
}

// writeShards creates one file per shard, generates every tensor of all of
// them on one worker pool and commits them; on error none is left.
func writeShards(ctx context.Context, paths []string, shards [][]safetensors.Spec, keys map[string]string, o ModelOptions, p *mistral.Params, wo safetensors.WriteOptions) error {
	var fws []*safetensors.FileWriter
	abort := func() {
		for _, fw := range fws {
			fw.Abort()
		}
	}
	var fills []*fill
	for i, path := range paths {
		fw, err := safetensors.Create(path, shards[i], wo)
		if err != nil {
			abort()
			return err
		}
		fws = append(fws, fw)
		fills = append(fills, shardFills(fw, keys, o, p)...)
	}
	if err := writeAll(ctx, o.Seed, fills); err != nil {
		abort()
		return err
	}
	for i, fw := range fws {
		if err := fw.Commit(); err != nil {
			for _, rest := range fws[i+1:] {
				rest.Abort()
			}
			return err
		}
	}
	return nil
}

func shardFills(fw *safetensors.FileWriter, keys map[string]string, o ModelOptions, p *mistral.Params) []*fill {
	var fills []*fill
	for _, t := range fw.Layout.Tensors {
		f := &fill{file: fw, name: t.Name, key: keys[t.Name], dtype: t.DType, rows: 1, cols: t.Elements(), ones: isNorm(t.Name)}
		if len(t.Shape) > 1 {
			f.rows, f.cols = t.Shape[0], t.Elements()/max(t.Shape[0], 1)
		}
		if heads, ok := mistral.RotaryHeads(p, keys[t.Name]); ok && o.Layout == mistral.FormatHF {
			hd := int(f.rows) / heads
			f.srcRow = func(r int64) int64 { return int64(mistral.SourceRow(int(r), hd, mistral.BasisNative)) }
		}
		fills = append(fills, f)
	}
	return fills
}
