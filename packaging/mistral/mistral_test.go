package mistral

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const mistral7B = `{"dim":4096,"n_layers":32,"head_dim":128,"hidden_dim":14336,"n_heads":32,"n_kv_heads":8,"norm_eps":1e-05,"sliding_window":4096,"vocab_size":32000}`

const ministral3 = `{"dim":4096,"n_layers":32,"hidden_dim":14336,"n_heads":32,"norm_eps":1e-5,"head_dim":128,"vocab_size":32000,"n_kv_heads":8,"rope_theta":1000000.0,
 "max_position_embeddings":262144,"tied_embeddings":true,"yarn":{"factor":16.0,"original_max_position_embeddings":16384,"beta":32.0,"alpha":1.0,"apply_scale":false},
 "quantization":{"qformat_weight":"fp8_e4m3","qscheme_act":"TENSOR"},"q_lora_rank":null,"future_key":{"x":[1,2]},
 "moe":{"num_experts":2,"num_experts_per_tok":1,"routed_scale":2.5}}`

func TestParamsSanity7B(t *testing.T) {
	p, err := ParseParams([]byte(mistral7B))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, ts := range ExpectedTensors(p) {
		e := int64(1)
		for _, d := range ts.Shape {
			e *= d
		}
		n += e
	}
	if n != 7_241_732_096 {
		t.Fatalf("Mistral-7B-v0.1 params = %d, want 7,241,732,096", n)
	}
	if p.Theta() != 1e6 || p.Architecture() != "mistral" {
		t.Errorf("theta %g arch %s", p.Theta(), p.Architecture())
	}
}

func TestParamsRoundTripKeepsUnknownKeys(t *testing.T) {
	p, err := ParseParams([]byte(ministral3))
	if err != nil {
		t.Fatal(err)
	}
	if !p.TiedEmbeddings || p.MoE.NumExperts != 2 || p.Architecture() != "mixtral" {
		t.Fatalf("parsed %+v", p)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	json.Unmarshal([]byte(ministral3), &a)
	json.Unmarshal(out, &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("round trip changed the file:\n%s\n%s", ja, jb)
	}
	if got := strings.Join(p.Extra(), ","); got != "future_key,q_lora_rank" {
		t.Errorf("extra keys %s", got)
	}
	for _, ts := range ExpectedTensors(p) {
		if ts.Name == "output.weight" {
			t.Error("tied embeddings still expect output.weight")
		}
	}
}

func TestParamsErrors(t *testing.T) {
	for name, in := range map[string]string{
		"missing key": `{"dim":64,"n_layers":2,"head_dim":16,"hidden_dim":128,"n_heads":4,"n_kv_heads":2,"norm_eps":1e-5}`,
		"not object":  `[1]`,
		"bad heads":   `{"dim":64,"n_layers":2,"head_dim":16,"hidden_dim":128,"n_heads":4,"n_kv_heads":3,"norm_eps":1e-5,"vocab_size":10}`,
		"string dim":  `{"dim":"64","n_layers":2,"head_dim":16,"hidden_dim":128,"n_heads":4,"n_kv_heads":2,"norm_eps":1e-5,"vocab_size":10}`,
		"mamba":       `{"model_type":"mamba","dim":64}`,
		"bad lora":    `{"dim":64,"n_layers":2,"head_dim":16,"hidden_dim":128,"n_heads":4,"n_kv_heads":2,"norm_eps":1e-5,"vocab_size":10,"lora":{"rank":0,"scaling":2}}`,
	} {
		if _, err := ParseParams([]byte(in)); !errors.Is(err, ErrParams) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	_, err := ParseParams([]byte(`{"dim":64}`))
	if !strings.Contains(err.Error(), `"n_layers"`) {
		t.Errorf("error does not name the key: %v", err)
	}
}

func TestExpectedTinyAndVision(t *testing.T) {
	p, _ := ParseParams([]byte(`{"dim":64,"n_layers":2,"head_dim":16,"hidden_dim":128,"n_heads":4,"n_kv_heads":2,"norm_eps":1e-5,"vocab_size":1280,"rope_theta":1000000.0}`))
	if n := len(ExpectedTensors(p)); n != 21 {
		t.Fatalf("tiny model: %d tensors, want 21", n)
	}
	p.VisionEncoder = &VisionEncoder{HiddenSize: 32, NumChannels: 3, ImageSize: 64, PatchSize: 16, IntermediateSize: 64,
		NumHiddenLayers: 1, NumAttentionHeads: 2, MMProjectorID: "patch_merge", SpatialMergeSize: 2, AddPreMMProjectorLayerNorm: true}
	names := map[string][]int64{}
	for _, ts := range ExpectedTensors(p) {
		names[ts.Name] = ts.Shape
	}
	if s := names["patch_merger.merging_layer.weight"]; len(s) != 2 || s[1] != 128 {
		t.Errorf("patch merger %v", s)
	}
	if _, ok := names["vision_language_adapter.w_in.bias"]; !ok {
		t.Error("adapter bias defaults to true")
	}
	if h, ok := RotaryHeads(p, "vision_encoder.transformer.layers.0.attention.wk.weight"); !ok || h != 2 {
		t.Errorf("vision rotary heads %d", h)
	}
	if h, ok := RotaryHeads(p, "layers.1.attention.wk"); !ok || h != 2 {
		t.Errorf("wk heads %d", h)
	}
	if _, ok := RotaryHeads(p, "layers.1.attention.wv.weight"); ok {
		t.Error("wv is not rotary")
	}
}

func TestNameMap(t *testing.T) {
	for _, tc := range []struct {
		native, hf string
		vision     bool
	}{
		{"tok_embeddings.weight", "model.embed_tokens.weight", false},
		{"output.weight", "lm_head.weight", false},
		{"layers.12.attention.wq.weight", "model.layers.12.self_attn.q_proj.weight", false},
		{"layers.0.feed_forward.w2", "model.layers.0.mlp.down_proj", false},
		{"layers.3.feed_forward.experts.7.w1.weight", "model.layers.3.block_sparse_moe.experts.7.w1.weight", false},
		{"layers.0.ffn_norm.weight", "language_model.model.layers.0.post_attention_layernorm.weight", true},
		{"output.weight", "language_model.lm_head.weight", true},
		{"vision_encoder.transformer.layers.2.feed_forward.w1.weight", "vision_tower.transformer.layers.2.feed_forward.gate_proj.weight", true},
		{"vision_language_adapter.w_in.bias", "multi_modal_projector.linear_1.bias", true},
	} {
		m := NameMap{Vision: tc.vision}
		if got, err := m.ToHF(tc.native); err != nil || got != tc.hf {
			t.Errorf("ToHF(%s) = %s %v", tc.native, got, err)
		}
		if got, err := m.ToNative(tc.hf); err != nil || got != tc.native {
			t.Errorf("ToNative(%s) = %s %v", tc.hf, got, err)
		}
	}
	if _, err := (NameMap{}).ToHF("layers.0.mystery.weight"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("unknown name: %v", err)
	}
}

// permuteForRope is transformers' definition, written with explicit views:
// t.view(n_heads, d1/n_heads/2, 2, d2).transpose(1,2).reshape(d1, d2).
func permuteForRope(rows []int, nHeads int) []int {
	d1 := len(rows)
	half := d1 / nHeads / 2
	out := make([]int, 0, d1)
	for h := 0; h < nHeads; h++ {
		for s := 0; s < 2; s++ {
			for i := 0; i < half; i++ {
				out = append(out, rows[h*2*half+i*2+s])
			}
		}
	}
	return out
}

func TestPermuteMatchesTransformers(t *testing.T) {
	const rows, heads = 24, 3
	src := make([]byte, rows*2)
	idx := make([]int, rows)
	for r := range rows {
		src[2*r], src[2*r+1] = byte(r), byte(r)
		idx[r] = r
	}
	hf, err := PermuteRows(src, rows, heads, BasisNative)
	if err != nil {
		t.Fatal(err)
	}
	want := permuteForRope(idx, heads)
	for r := range rows {
		if int(hf[2*r]) != want[r] || hf[2*r+1] != hf[2*r] {
			t.Fatalf("row %d holds %d, want %d", r, hf[2*r], want[r])
		}
	}
	back, _ := PermuteRows(hf, rows, heads, BasisHF)
	if string(back) != string(src) {
		t.Fatal("HF → native is not the inverse")
	}
	if _, err := PermuteRows(src, rows, 5, BasisHF); err == nil {
		t.Error("bad head count accepted")
	}
}

func touch(t *testing.T, dir string, names ...string) string {
	for _, n := range names {
		os.WriteFile(filepath.Join(dir, n), []byte("{}"), 0o644)
	}
	return dir
}

func TestDetectLayout(t *testing.T) {
	l, err := DetectLayout(touch(t, t.TempDir(), "params.json", "consolidated.safetensors", "tekken.json", "config.json"))
	if err != nil || l.Format != FormatNative || len(l.Weights) != 1 {
		t.Fatalf("native: %+v %v", l, err)
	}
	l, err = DetectLayout(touch(t, t.TempDir(), "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"))
	if err != nil || l.Format != FormatHF || len(l.Weights) != 2 || l.Index == "" {
		t.Fatalf("hf: %+v %v", l, err)
	}
	_, err = DetectLayout(touch(t, t.TempDir(), "params.json", "config.json", "consolidated.safetensors", "model-00001-of-00002.safetensors"))
	if !errors.Is(err, ErrMixedLayout) || !strings.Contains(err.Error(), "consolidated.safetensors") || !strings.Contains(err.Error(), "model-00001-of-00002.safetensors") {
		t.Fatalf("mixed: %v", err)
	}
	if _, err = DetectLayout(touch(t, t.TempDir(), "consolidated.safetensors")); !errors.Is(err, ErrNoLayout) {
		t.Fatalf("no params: %v", err)
	}
	if _, err = DetectLayout(t.TempDir()); !errors.Is(err, ErrNoLayout) {
		t.Fatalf("empty: %v", err)
	}
}

func TestHFConfigParams(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"architectures":["MistralForCausalLM"],"model_type":"mistral","hidden_size":4096,
	"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":8,"intermediate_size":14336,"rms_norm_eps":1e-05,
	"vocab_size":32768,"rope_theta":1000000.0,"tie_word_embeddings":false,"torch_dtype":"bfloat16"}`), 0o644)
	c, err := ReadHFConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Params()
	if err != nil || p.HeadDim != 128 || p.NKVHeads != 8 || p.Theta() != 1e6 {
		t.Fatalf("%+v %v", p, err)
	}
}

func FuzzParams(f *testing.F) {
	f.Add([]byte(mistral7B))
	f.Add([]byte(ministral3))
	f.Add([]byte(`{"dim":64,"n_layers":1,"head_dim":16,"hidden_dim":8,"n_heads":4,"n_kv_heads":2,"norm_eps":1,"vocab_size":1,"vision_encoder":{"hidden_size":4,"num_channels":1,"image_size":4,"patch_size":2,"intermediate_size":4,"num_hidden_layers":1,"num_attention_heads":2}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseParams(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if _, err := ParseParams(out); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if p.NLayers*p.NHeads < 1<<16 && (p.MoE == nil || p.MoE.NumExperts*p.NLayers < 1<<16) {
			ExpectedTensors(p)
		}
	})
}

func FuzzHFConfig(f *testing.F) {
	f.Add([]byte(`{"model_type":"mistral","hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":128,"rms_norm_eps":1e-5,"vocab_size":1280}`))
	f.Add([]byte(`{"model_type":"mistral3","text_config":{"hidden_size":64,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":8,"rms_norm_eps":1,"vocab_size":9},"vision_config":{"hidden_size":8,"num_channels":3,"image_size":8,"patch_size":4,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2},"spatial_merge_size":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c HFConfig
		if json.Unmarshal(b, &c) != nil {
			return
		}
		p, err := c.Params()
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Params returned invalid params: %v", err)
		}
		if p.NLayers*p.NHeads < 1<<16 && (p.MoE == nil || p.MoE.NumExperts*p.NLayers < 1<<16) {
			nm := NameMap{Vision: p.VisionEncoder != nil}
			for _, ts := range ExpectedTensors(p) {
				hf, err := nm.ToHF(ts.Name)
				if err != nil {
					t.Fatalf("no HF name for %s: %v", ts.Name, err)
				}
				if back, err := nm.ToNative(hf); err != nil || back != ts.Name {
					t.Fatalf("%s → %s → %s (%v)", ts.Name, hf, back, err)
				}
			}
		}
	})
}
