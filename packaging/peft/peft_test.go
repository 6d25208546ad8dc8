package peft_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

func setup(t *testing.T, layout mistral.Format, ao synth.AdapterOptions) (base *peft.Base, adapterDir string) {
	t.Helper()
	dir := t.TempDir()
	bd := filepath.Join(dir, "base")
	if err := synth.Model(t.Context(), bd, synth.ModelOptions{Layout: layout}); err != nil {
		t.Fatal(err)
	}
	ao.Base = bd
	adapterDir = filepath.Join(dir, "adapter")
	if err := synth.Adapter(t.Context(), adapterDir, ao); err != nil {
		t.Fatal(err)
	}
	b, err := peft.LoadBase(bd)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CheckTensors(); err != nil {
		t.Fatal(err)
	}
	return b, adapterDir
}

func TestReadResolvePEFT(t *testing.T) {
	base, dir := setup(t, mistral.FormatNative, synth.AdapterOptions{Rank: 16, Alpha: 32, RSLoRA: true})
	a, err := peft.Read(dir, peft.FormatPEFT)
	if err != nil {
		t.Fatal(err)
	}
	if a.Rank != 16 || len(a.Modules) != 14 || a.DType != safetensors.BF16 {
		t.Fatalf("rank %d modules %d dtype %s", a.Rank, len(a.Modules), a.DType)
	}
	if s := a.Modules[0].Scale; math.Abs(s-32/4.0) > 1e-12 {
		t.Errorf("rslora scale %g, want alpha/sqrt(r) = 8", s)
	}
	ts, err := a.Resolve(base, "")
	if err != nil {
		t.Fatal(err)
	}
	perm := 0
	for _, tg := range ts {
		if !strings.HasPrefix(tg.BaseTensor, "layers.") {
			t.Errorf("base tensor %q is not a native name", tg.BaseTensor)
		}
		if tg.PermuteHeads > 0 {
			perm++
		}
	}
	if perm != 4 { // wq and wk of 2 layers
		t.Errorf("%d modules need the q/k permutation, want 4", perm)
	}
	ts, _ = a.Resolve(base, mistral.BasisNative)
	for _, tg := range ts {
		if tg.PermuteHeads != 0 {
			t.Errorf("native-basis adapter permuted %s", tg.BaseTensor)
		}
	}
}

func TestReadMistralFinetuneOnHF(t *testing.T) {
	base, dir := setup(t, mistral.FormatHF, synth.AdapterOptions{Format: peft.FormatMistralFinetune, Rank: 4, Alpha: 12})
	a, err := peft.Read(dir, peft.FormatMistralFinetune)
	if err != nil {
		t.Fatal(err)
	}
	if a.Modules[0].Scale != 3 || a.Alpha != 12 {
		t.Errorf("absolute scaling %g alpha %g, want 3 and 12", a.Modules[0].Scale, a.Alpha)
	}
	ts, err := a.Resolve(base, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ts[0].BaseTensor, "model.layers.") {
		t.Errorf("base tensor %q is not an HF name", ts[0].BaseTensor)
	}
}

// editConfig rewrites adapter_config.json with f applied to its JSON map.
func editConfig(t *testing.T, dir string, f func(map[string]any)) {
	p := filepath.Join(dir, peft.PEFTConfigFile)
	b, _ := os.ReadFile(p)
	var m map[string]any
	json.Unmarshal(b, &m)
	f(m)
	b, _ = json.Marshal(m)
	os.WriteFile(p, b, 0o644)
}

// rewriteTensors rewrites adapter_model.safetensors through f.
func rewriteTensors(t *testing.T, dir string, f func([]safetensors.Tensor) []safetensors.Tensor) {
	p := filepath.Join(dir, peft.PEFTWeightsFile)
	sf, err := safetensors.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, ti := range sf.Tensors {
		b, _ := sf.Bytes(ti.Name)
		ts = append(ts, safetensors.Tensor{Spec: safetensors.Spec{Name: ti.Name, DType: ti.DType, Shape: ti.Shape}, Data: b})
	}
	sf.Close()
	if err := safetensors.WriteFile(p, f(ts), safetensors.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestPEFTErrors(t *testing.T) {
	const q0A = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
	for _, tc := range []struct {
		name    string
		edit    func(t *testing.T, dir string)
		read    bool // the error comes from Read (else Resolve)
		mention []string
	}{
		{"use_dora", func(t *testing.T, d string) { editConfig(t, d, func(m map[string]any) { m["use_dora"] = true }) }, true, []string{"DoRA", "adapter_config.json"}},
		{"modules_to_save", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["modules_to_save"] = []string{"lm_head"} })
		}, true, []string{"modules_to_save"}},
		{"bias", func(t *testing.T, d string) { editConfig(t, d, func(m map[string]any) { m["bias"] = "all" }) }, true, []string{"bias"}},
		{"rank mismatch", func(t *testing.T, d string) { editConfig(t, d, func(m map[string]any) { m["r"] = 4 }) }, true, []string{"rank 8", "r = 4"}},
		{"magnitude vector", func(t *testing.T, d string) {
			rewriteTensors(t, d, func(ts []safetensors.Tensor) []safetensors.Tensor {
				return append(ts, safetensors.Tensor{Spec: safetensors.Spec{Name: "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", DType: safetensors.BF16, Shape: []int64{64}}, Data: make([]byte, 128)})
			})
		}, true, []string{"DoRA", "lora_magnitude_vector"}},
		{"full weight", func(t *testing.T, d string) {
			rewriteTensors(t, d, func(ts []safetensors.Tensor) []safetensors.Tensor {
				return append(ts, safetensors.Tensor{Spec: safetensors.Spec{Name: "base_model.model.lm_head.weight", DType: safetensors.BF16, Shape: []int64{1}}, Data: make([]byte, 2)})
			})
		}, true, []string{"lm_head.weight"}},
		{"missing lora_B", func(t *testing.T, d string) {
			rewriteTensors(t, d, func(ts []safetensors.Tensor) []safetensors.Tensor {
				var out []safetensors.Tensor
				for _, x := range ts {
					if x.Name != strings.Replace(q0A, "lora_A", "lora_B", 1) {
						out = append(out, x)
					}
				}
				return out
			})
		}, true, []string{q0A}},
		{"target missing from base", func(t *testing.T, d string) {
			rewriteTensors(t, d, func(ts []safetensors.Tensor) []safetensors.Tensor {
				for i := range ts {
					ts[i].Name = strings.Replace(ts[i].Name, "layers.0.", "layers.7.", 1)
				}
				return ts
			})
		}, false, []string{"adapter_model.safetensors", "layers.7.", "does not exist in the base"}},
		{"target_modules entry missing", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["target_modules"] = []string{"q_proj", "gate_up_proj"} })
		}, false, []string{"gate_up_proj", "adapter_config.json"}},
		{"shape mismatch", func(t *testing.T, d string) {
			rewriteTensors(t, d, func(ts []safetensors.Tensor) []safetensors.Tensor {
				for i := range ts {
					if ts[i].Name == q0A {
						ts[i].Shape = []int64{8, 32}
						ts[i].Data = ts[i].Data[:8*32*2]
					}
				}
				return ts
			})
		}, false, []string{q0A, "[8 32]", "want [8 64]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, dir := setup(t, mistral.FormatNative, synth.AdapterOptions{})
			tc.edit(t, dir)
			a, err := peft.Read(dir, peft.FormatPEFT)
			if err == nil && !tc.read {
				_, err = a.Resolve(base, "")
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if (err != nil) != tc.read && tc.read && a != nil {
				t.Fatalf("error from the wrong phase: %v", err)
			}
			if !errors.Is(err, peft.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestMistralFinetuneRankMismatch(t *testing.T) {
	_, dir := setup(t, mistral.FormatNative, synth.AdapterOptions{Format: peft.FormatMistralFinetune})
	p := filepath.Join(dir, peft.MFParamsFile)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), `"rank": 8`, `"rank": 16`, 1)), 0o644)
	_, err := peft.Read(dir, peft.FormatMistralFinetune)
	if err == nil || !strings.Contains(err.Error(), "lora.safetensors") || !strings.Contains(err.Error(), "lora.rank is 16") {
		t.Fatalf("got %v", err)
	}
}

func TestBaseErrors(t *testing.T) {
	dir := t.TempDir()
	if err := synth.Model(t.Context(), dir, synth.ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "params.json")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), `"hidden_dim": 128`, `"hidden_dim": 96`, 1)), 0o644)
	base, err := peft.LoadBase(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = base.CheckTensors()
	if err == nil || !strings.Contains(err.Error(), "consolidated.safetensors") || !strings.Contains(err.Error(), "feed_forward.w1.weight") {
		t.Fatalf("shape mismatch: %v", err)
	}
}

func TestPatternsAndTargetForms(t *testing.T) {
	base, dir := setup(t, mistral.FormatNative, synth.AdapterOptions{Rank: 8, Alpha: 16})
	editConfig(t, dir, func(m map[string]any) {
		m["alpha_pattern"] = map[string]any{`layers\.1\.self_attn\.q_proj`: 64}
		m["target_modules"] = `.*\.(q|k|v|o|gate|up|down)_proj`
	})
	a, err := peft.Read(dir, peft.FormatPEFT)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range a.Modules {
		want := 2.0
		if m.Name == "model.layers.1.self_attn.q_proj" {
			want = 8
		}
		if m.Scale != want {
			t.Errorf("%s: scale %g, want %g", m.Name, m.Scale, want)
		}
	}
	if _, err := a.Resolve(base, ""); err != nil {
		t.Fatal(err)
	}
	editConfig(t, dir, func(m map[string]any) { m["target_modules"] = "all-linear" })
	if _, err := peft.Read(dir, peft.FormatPEFT); err != nil {
		t.Fatal(err)
	}
	editConfig(t, dir, func(m map[string]any) { m["target_modules"] = "([" })
	if _, err := peft.Read(dir, peft.FormatPEFT); err == nil || !strings.Contains(err.Error(), "target_modules") {
		t.Fatalf("bad regex: %v", err)
	}
	editConfig(t, dir, func(m map[string]any) {
		m["target_modules"] = []string{"q_proj"}
		m["rank_pattern"] = map[string]any{"v_proj": 4}
	})
	if _, err := peft.Read(dir, peft.FormatPEFT); err == nil || !strings.Contains(err.Error(), "r = 4") {
		t.Fatalf("rank_pattern mismatch: %v", err)
	}
}
