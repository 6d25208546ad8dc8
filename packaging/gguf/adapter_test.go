package gguf

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/lora"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// TestLlamaAppliesAdapter exports adapters as LoRA GGUFs and has llama.cpp
// apply each at load time on the base's BF16 GGUF: log-probs and greedy
// tokens match llama.cpp on the GGUF of the merged model (ckpt's merge
// engine, bf16) within the BF16 bound. PEFT adapters are in the HF q/k
// basis, so their q/k lora_b rows must be un-permuted; mistral-finetune's
// are native; rsLoRA folds the per-module scale into lora_b.
func TestLlamaAppliesAdapter(t *testing.T) {
	l := testenv.RequireLlama(t)
	script := nodeScript(t, l, "llama.mjs")
	ctx := context.Background()
	hfo := judgeModel
	hfo.Layout = mistral.FormatHF
	bases := map[string]string{"native": synthModel(t, judgeModel), "hf": synthModel(t, hfo)}
	cases := []struct {
		name, base string
		ao         synth.AdapterOptions
	}{
		{"peft on native", "native", synth.AdapterOptions{Format: peft.FormatPEFT, Rank: 8, Seed: 11}},
		{"peft on hf", "hf", synth.AdapterOptions{Format: peft.FormatPEFT, Rank: 8, Seed: 12}},
		{"mistral-finetune on native", "native", synth.AdapterOptions{Format: peft.FormatMistralFinetune, Rank: 4, Seed: 13}},
		{"rslora q/v only", "native", synth.AdapterOptions{Format: peft.FormatPEFT, Rank: 16, RSLoRA: true, Targets: []string{"wq", "wv"}, Seed: 14}},
	}
	baseGGUF := map[string]string{}
	for name, dir := range bases {
		baseGGUF[name] = export(t, dir, Options{Type: FileBF16})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := bases[c.base]
			c.ao.Base = base
			adir := filepath.Join(t.TempDir(), "adapter")
			if err := synth.Adapter(ctx, adir, c.ao); err != nil {
				t.Fatal(err)
			}
			loraFile := filepath.Join(t.TempDir(), "lora.gguf")
			if err := ExportAdapter(ctx, adir, base, loraFile, AdapterOptions{Format: c.ao.Format, Name: "lora"}); err != nil {
				t.Fatal(err)
			}
			mdir := filepath.Join(t.TempDir(), "merged")
			os.MkdirAll(mdir, 0o755)
			if err := lora.Merge(ctx, lora.Options{Base: base, Adapters: []lora.AdapterInput{{Dir: adir, Format: c.ao.Format}}, Out: mdir, DType: "bf16"}); err != nil {
				t.Fatal(err)
			}
			merged := export(t, mdir, Options{Type: FileBF16})
			want := runLlama(t, l, script, llamaReq{Model: merged, Tokens: judgeTokens, Greedy: 6})
			got := runLlama(t, l, script, llamaReq{Model: baseGGUF[c.base], Lora: loraFile, Tokens: judgeTokens, Greedy: 6})
			plain := runLlama(t, l, script, llamaReq{Model: baseGGUF[c.base], Tokens: judgeTokens})
			d := maxAbsDiff(t, got.LogProbs, want.LogProbs)
			t.Logf("base+LoRA vs merged: max |Δ log-prob| %.3g (bound %.3g); the adapter itself moves them by %.3g; greedy %v vs %v",
				d, logProbBounds[FileBF16], maxAbsDiff(t, plain.LogProbs, want.LogProbs), got.Greedy, want.Greedy)
			if d > logProbBounds[FileBF16] {
				t.Errorf("max |Δ log-prob| %.3g exceeds %.3g", d, logProbBounds[FileBF16])
			}
			if !slices.Equal(got.Greedy, want.Greedy) {
				t.Errorf("greedy %v, merged model %v", got.Greedy, want.Greedy)
			}
		})
	}
}

// TestAdapterFormat checks the adapter GGUF's metadata and tensor shapes
// as llama.cpp's loader expects them.
func TestAdapterFormat(t *testing.T) {
	ctx := context.Background()
	base := synthModel(t, synth.ModelOptions{})
	adir := filepath.Join(t.TempDir(), "adapter")
	if err := synth.Adapter(ctx, adir, synth.AdapterOptions{Base: base, Rank: 4, Targets: []string{"wq", "w2"}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "a.gguf")
	if err := ExportAdapter(ctx, adir, base, out, AdapterOptions{License: "Apache-2.0"}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"general.type": "adapter", "adapter.type": "lora", "adapter.lora.alpha": float32(8), "general.license": "Apache-2.0"} {
		if v, _ := f.Get(k); v != want {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
	var names []string
	for _, ti := range f.Tensors {
		names = append(names, ti.Name)
	}
	want := []string{"blk.0.attn_q.weight.lora_a", "blk.0.attn_q.weight.lora_b", "blk.0.ffn_down.weight.lora_a", "blk.0.ffn_down.weight.lora_b",
		"blk.1.attn_q.weight.lora_a", "blk.1.attn_q.weight.lora_b", "blk.1.ffn_down.weight.lora_a", "blk.1.ffn_down.weight.lora_b"}
	if !slices.Equal(names, want) {
		t.Fatalf("tensors %v\nwant %v", names, want)
	}
	a, _ := f.Tensor("blk.0.ffn_down.weight.lora_a")
	b, _ := f.Tensor("blk.0.ffn_down.weight.lora_b")
	if !slices.Equal(a.Shape, []uint64{128, 4}) || !slices.Equal(b.Shape, []uint64{4, 64}) {
		t.Errorf("ffn_down lora_a %v lora_b %v, want [128 4] [4 64] (ne order)", a.Shape, b.Shape)
	}
}

// TestAdapterNotInBase refuses an adapter made for a bigger model.
func TestAdapterNotInBase(t *testing.T) {
	ctx := context.Background()
	big := synthModel(t, synth.ModelOptions{Layers: 3})
	small := synthModel(t, synth.ModelOptions{Layers: 2})
	adir := filepath.Join(t.TempDir(), "adapter")
	if err := synth.Adapter(ctx, adir, synth.AdapterOptions{Base: big, Rank: 4}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "a.gguf")
	err := ExportAdapter(ctx, adir, small, out, AdapterOptions{})
	if !errors.Is(err, peft.ErrInvalid) || !strings.Contains(err.Error(), "layers.2.") || !strings.Contains(err.Error(), "adapter_model.safetensors") {
		t.Fatalf("err = %v, want one naming the file and a layers.2 tensor", err)
	}
	if _, serr := os.Stat(out); !os.IsNotExist(serr) {
		t.Errorf("%s was written", out)
	}
}
