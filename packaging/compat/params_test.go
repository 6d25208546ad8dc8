package compat_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
)

func TestParseParamsProblems(t *testing.T) {
	for _, tc := range []struct {
		in, key string
	}{
		{`{"dim":64}`, "n_layers"},
		{strings.Replace(tinyParams, `"head_dim":16`, `"head_dim":"16"`, 1), "head_dim"},
		{strings.Replace(tinyParams, `"n_layers":2`, `"n_layers":1.5`, 1), "n_layers"},
		{strings.Replace(tinyParams, `"norm_eps":1e-5`, `"norm_eps":0`, 1), "norm_eps"},
		{strings.Replace(tinyParams, `"n_layers":2`, `"n_layers":100000`, 1), "n_layers"},
		{strings.Replace(tinyParams, `}`, `,"moe":{"num_experts":0,"num_experts_per_tok":2}}`, 1), "moe.num_experts"},
		{strings.Replace(tinyParams, `}`, `,"vision_encoder":{"hidden_size":32}}`, 1), "vision_encoder.patch_size"},
		{strings.Replace(tinyParams, `}`, `,"sliding_window":[4096,null,2048]}`, 1), "sliding_window"},
		{strings.Replace(tinyParams, `}`, `,"sliding_window":"4096"}`, 1), "sliding_window"},
		{strings.Replace(tinyParams, `}`, `,"yarn":{"factor":4,"scale":2}}`, 1), "yarn.scale"},
	} {
		_, problems, err := compat.ParseParams([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		found := false
		for _, p := range problems {
			found = found || p.Key == tc.key
		}
		if !found {
			t.Errorf("%s: problems %v, want one for %s", tc.in, problems, tc.key)
		}
	}
	if _, _, err := compat.ParseParams([]byte(`[1]`)); err == nil {
		t.Error("a JSON list parsed as params")
	}
}

// TestParamsMoEAndVision: MoE and vision params imply their tensors.
// TestParamsReferenceFixtures: the verbatim params.json of the
// transformers/vLLM tests (formats.md §9) parse without problems.
func TestParamsReferenceFixtures(t *testing.T) {
	for _, in := range []string{
		`{"dim":4096,"n_layers":32,"head_dim":128,"hidden_dim":14336,"n_heads":32,"n_kv_heads":8,"norm_eps":1e-05,"sliding_window":4096,"vocab_size":32000}`,
		`{"dim":4096,"n_layers":32,"hidden_dim":14336,"n_heads":32,"norm_eps":1e-5,"head_dim":128,"vocab_size":32000,"n_kv_heads":8,"rope_theta":1000000.0,
 "max_position_embeddings":262144,"tied_embeddings":true,"yarn":{"factor":16.0,"original_max_position_embeddings":16384,"beta":32.0,"alpha":1.0,"apply_scale":false},
 "quantization":{"qformat_weight":"fp8_e4m3","qscheme_act":"TENSOR"}}`,
	} {
		p, problems, err := compat.ParseParams([]byte(in))
		if err != nil || len(problems) > 0 {
			t.Fatalf("%v %v", err, problems)
		}
		want := p.ExpectedTensors()
		if len(want) != 2+32*9+1 && len(want) != 2+32*9 {
			t.Errorf("%d expected tensors", len(want))
		}
	}
}

func TestParamsOptionalKeys(t *testing.T) {
	for _, extra := range []string{`"sliding_window":4096`, `"sliding_window":[4096,null,4096]`, `"_sliding_window":null`,
		`"yarn":{"factor":16.0,"original_max_position_embeddings":16384,"beta":32.0,"alpha":1.0,"apply_scale":false}`} {
		_, problems, err := compat.ParseParams([]byte(strings.Replace(tinyParams, `}`, ","+extra+"}", 1)))
		if err != nil || len(problems) > 0 {
			t.Errorf("%s: %v %v", extra, err, problems)
		}
	}
}

func TestParamsMoEAndVision(t *testing.T) {
	moe := strings.Replace(tinyParams, `}`, `,"moe":{"num_experts":2,"num_experts_per_tok":1}}`, 1)
	dir := nativeModelWith(t, moe)
	fs, err := compat.Check(t.Context(), dir, compat.Options{})
	if err != nil || len(fs) != 0 {
		t.Fatalf("clean MoE model: %v%s", err, dump(fs))
	}
	p, problems, err := compat.ParseParams([]byte(moe))
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}
	want := p.ExpectedTensors()
	if _, ok := want["layers.1.feed_forward.experts.1.w3.weight"]; !ok {
		t.Errorf("no expert tensor in %d expected", len(want))
	}
	// The dense model's tensors for an MoE params.json: missing experts,
	// unexpected dense w1/w2/w3.
	dense := nativeModel(t)
	writeText(t, filepath.Join(dense, "params.json"), moe)
	fs, _ = compat.Check(t.Context(), dense, compat.Options{})
	if got := strings.Join(codes(fs), ","); got != "params.tensor_missing,tensor.unexpected" {
		t.Errorf("dense tensors with MoE params: %s%s", got, dump(fs))
	}
}

func FuzzParams(f *testing.F) {
	f.Add([]byte(tinyParams))
	f.Add([]byte(strings.Replace(tinyParams, `}`, `,"moe":{"num_experts":2,"num_experts_per_tok":1},"vision_encoder":{"hidden_size":8,"num_channels":3,"image_size":32,"patch_size":16,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"mm_projector_id":"patch_merge","spatial_merge_size":2}}`, 1)))
	f.Add([]byte(`{"model_type":"mamba","dim":1,"n_layers":1,"vocab_size":1}`))
	f.Add([]byte(`{"model_type":"mixtral","hidden_size":8,"num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":8,"rms_norm_eps":1e-5,"vocab_size":8,"num_local_experts":2,"num_experts_per_tok":1}`))
	f.Add([]byte(`{"model_type":"mistral3","text_config":{"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":8,"rms_norm_eps":1e-5,"vocab_size":8},"vision_config":{"hidden_size":4,"num_channels":3,"image_size":8,"patch_size":4,"intermediate_size":4,"num_hidden_layers":1,"num_attention_heads":1},"spatial_merge_size":2}`))
	f.Add([]byte(`{"dim":1e300,"n_layers":-1,"multimodal":{"vision_encoder_args":[]}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, problems, err := compat.ParseParams(data)
		if err == nil && len(problems) == 0 {
			p.ExpectedTensors()
		}
		for _, name := range []string{"params.json", "config.json"} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fs, err := compat.Check(t.Context(), dir, compat.Options{Profiles: []string{"vllm-mistral", "transformers"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Code == "check.internal" {
				t.Fatalf("crash: %s", f.Message)
			}
		}
	})
}

// TestConfigVisionMismatch: config.json's vision_config must agree with
// params.json's vision_encoder.
func TestConfigVisionMismatch(t *testing.T) {
	params := strings.TrimSuffix(tinyParams, "}") + `,"vision_encoder":{"hidden_size":32,"num_channels":3,"image_size":64,"patch_size":16,` +
		`"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":2,"max_image_size":64}}`
	dir := nativeModelWith(t, params)
	tk := tekkenJSON()
	tk["image"] = map[string]any{"image_patch_size": 16, "max_image_size": 64, "spatial_merge_size": 1}
	writeJSON(t, filepath.Join(dir, "tekken.json"), tk)
	fs, err := compat.Check(t.Context(), dir, compat.Options{})
	if err != nil || len(fs) != 0 {
		t.Fatalf("clean vision model: %v%s", err, dump(fs))
	}
	writeText(t, filepath.Join(dir, "config.json"), `{"model_type":"mistral3","text_config":{"hidden_size":64},"vision_config":{"patch_size":14,"image_size":64}}`)
	fs, _ = compat.Check(t.Context(), dir, compat.Options{})
	if len(fs) != 1 || fs[0].Code != "config.params_mismatch" || fs[0].Path != "vision_config.patch_size" {
		t.Errorf("findings:%s", dump(fs))
	}
}

// TestConfigParamsPairs: each pair of config.json and params.json keys is
// compared.
func TestConfigParamsPairs(t *testing.T) {
	base := `{"model_type":"mistral","hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":16,
"intermediate_size":128,"vocab_size":1280,"rms_norm_eps":1e-05,"rope_theta":1000000.0,"tie_word_embeddings":false}`
	dir := nativeModel(t)
	writeText(t, filepath.Join(dir, "config.json"), base)
	if fs, err := compat.Check(t.Context(), dir, compat.Options{}); err != nil || len(fs) != 0 {
		t.Fatalf("agreeing config.json: %v%s", err, dump(fs))
	}
	for _, tc := range []struct{ from, to, path string }{
		{`"num_key_value_heads":2`, `"num_key_value_heads":4`, "num_key_value_heads"},
		{`"rope_theta":1000000.0`, `"rope_theta":10000.0`, "rope_theta"},
		{`"tie_word_embeddings":false`, `"tie_word_embeddings":true`, "tie_word_embeddings"},
		{`"rms_norm_eps":1e-05`, `"rms_norm_eps":1e-06`, "rms_norm_eps"},
	} {
		writeText(t, filepath.Join(dir, "config.json"), strings.Replace(base, tc.from, tc.to, 1))
		fs, _ := compat.Check(t.Context(), dir, compat.Options{})
		if len(fs) != 1 || fs[0].Code != "config.params_mismatch" || fs[0].Path != tc.path {
			t.Errorf("%s:%s", tc.to, dump(fs))
		}
	}
}
