package gguf

import (
	"bytes"
	"context"
	"fmt"
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

// judgeModel is a tiny model whose rows are multiples of 256, so that the
// K-quants apply (no fallbacks): dim 256, 4 heads of 64, 2 KV heads.
var judgeModel = synth.ModelOptions{Dim: 256, Hidden: 512, Heads: 4, KVHeads: 2, Seed: 3}

// judgeTokens is the fixed sequence: BOS, then BPE ids (1000 specials
// come first in synth's tekken).
var judgeTokens = []int{1, 1003, 1100, 1200, 1010, 1050, 1270, 1001, 1150, 1033}

// logProbBounds are the max |Δ log-prob| allowed between llama.cpp on the
// export and the numpy reference on the source. F32/F16/BF16 are the
// acceptance bounds. For Q8_0 the reference quantizes the source weights
// and activations itself, as ggml does (measured ≤ 2.2e-2 without that, so
// the bound is tight only because the reference mimics it). For Q4_K_M the
// reference runs on the unquantized source: the bound is the measured
// quantization error (0.21 on these models) with headroom, and greedy
// tokens are logged, not required to match (logits of random tiny models
// are nearly flat, so 4-bit error flips ties).
var logProbBounds = map[FileType]float64{FileF32: 1e-3, FileF16: 5e-2, FileBF16: 5e-2, FileQ8_0: 1e-3, FileQ4_KM: 0.4}

func roundFor(ft FileType) string {
	switch ft {
	case FileF16:
		return "f16"
	case FileBF16:
		return "bf16"
	case FileQ8_0:
		return "q8_0"
	}
	return ""
}

// mergedModel merges a synthetic PEFT adapter into base with ckpt's merge
// engine and returns the merged folder and the adapter folder.
func mergedModel(t testing.TB, base string) (dir, adapter string) {
	t.Helper()
	ctx := context.Background()
	adapter = filepath.Join(t.TempDir(), "adapter")
	if err := synth.Adapter(ctx, adapter, synth.AdapterOptions{Base: base, Format: peft.FormatPEFT, Rank: 8, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), "merged")
	os.MkdirAll(dir, 0o755)
	err := lora.Merge(ctx, lora.Options{Base: base, Adapters: []lora.AdapterInput{{Dir: adapter, Format: peft.FormatPEFT}}, Out: dir, DType: "bf16"})
	if err != nil {
		t.Fatal(err)
	}
	return dir, adapter
}

// TestLlamaJudgesExports loads every exported type of a native, a sharded
// HF and a merged model in llama.cpp and compares its next-token
// log-probs over the whole vocab and its greedy continuation with a numpy
// forward pass over the source safetensors, and every tensor with the
// source.
func TestLlamaJudgesExports(t *testing.T) {
	l := testenv.RequireLlama(t)
	py := testenv.RequirePython(t, "numpy")
	script := nodeScript(t, l, "llama.mjs")
	native := synthModel(t, judgeModel)
	hfo := judgeModel
	hfo.Layout, hfo.ShardSize = mistral.FormatHF, 1<<20
	hf := synthModel(t, hfo)
	merged, _ := mergedModel(t, native)
	models := []struct{ name, dir string }{{"native", native}, {"hf-sharded", hf}, {"merged", merged}}
	for _, m := range models {
		refs := map[string]refOut{}
		for _, ft := range []FileType{FileF32, FileF16, FileBF16, FileQ8_0, FileQ4_KM} {
			t.Run(m.name+"/"+string(ft), func(t *testing.T) {
				out := export(t, m.dir, Options{Type: ft, Name: "judge"})
				problems, worst := checkAgainstSource(t, out, m.dir)
				for _, p := range problems {
					t.Error(p)
				}
				rnd := roundFor(ft)
				ref, ok := refs[rnd]
				if !ok {
					ref = runReference(t, py, m.dir, judgeTokens, rnd, 6)
					refs[rnd] = ref
				}
				got := runLlama(t, l, script, llamaReq{Model: out, Tokens: judgeTokens, Greedy: 6})
				d := maxAbsDiff(t, got.LogProbs, ref.LogProbs)
				t.Logf("max |Δ log-prob| %.3g (bound %.3g); worst |Δ|/step per type %v; greedy %v, reference %v", d, logProbBounds[ft], worst, got.Greedy, ref.Greedy)
				if d > logProbBounds[ft] {
					t.Errorf("max |Δ log-prob| %.3g exceeds %.3g", d, logProbBounds[ft])
				}
				if ft != FileQ4_KM && !slices.Equal(got.Greedy, ref.Greedy) {
					t.Errorf("greedy continuation %v, reference %v", got.Greedy, ref.Greedy)
				}
			})
		}
	}
}

// TestTensorCheckCatchesMissingUnpermute exports an HF model without the
// q/k un-permutation on purpose: the log-probs move by less than the BF16
// bound on a tiny model, but the tensor comparison names attn_q and attn_k.
func TestTensorCheckCatchesMissingUnpermute(t *testing.T) {
	l := testenv.RequireLlama(t)
	py := testenv.RequirePython(t, "numpy")
	hfo := judgeModel
	hfo.Layout = mistral.FormatHF
	hf := synthModel(t, hfo)
	m, err := openModel(hf)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := tokenizerKV(hf)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.tensors {
		s.rotary = 0 // the mistake
	}
	o := Options{Type: FileBF16}
	out := filepath.Join(t.TempDir(), "wrong.gguf")
	if err := m.write(context.Background(), out, append(modelKV(m.params, o, 32), tok...), o); err != nil {
		t.Fatal(err)
	}
	problems, _ := checkAgainstSource(t, out, hf)
	want := map[string]bool{}
	for l := range m.params.NLayers {
		want[fmt.Sprintf("blk.%d.attn_q.weight", l)] = true
		want[fmt.Sprintf("blk.%d.attn_k.weight", l)] = true
	}
	for _, p := range problems {
		name, _, _ := strings.Cut(p, " (")
		if !want[name] {
			t.Errorf("unexpected problem: %s", p)
		}
		delete(want, name)
	}
	if len(want) > 0 {
		t.Errorf("the tensor check missed %v", want)
	}
	ref := runReference(t, py, hf, judgeTokens, "bf16", 6)
	got := runLlama(t, l, nodeScript(t, l, "llama.mjs"), llamaReq{Model: out, Tokens: judgeTokens, Greedy: 6})
	t.Logf("without un-permutation: max |Δ log-prob| %.3g (BF16 bound %.3g), greedy %v vs %v; tensor check: %d problems",
		maxAbsDiff(t, got.LogProbs, ref.LogProbs), logProbBounds[FileBF16], got.Greedy, ref.Greedy, len(problems))
}

// TestExportDeterministic exports the same model twice into two folders
// with different worker counts: the bytes are identical.
func TestExportDeterministic(t *testing.T) {
	dir := synthModel(t, judgeModel)
	for _, ft := range []FileType{FileBF16, FileQ4_KM} {
		a := export(t, dir, Options{Type: ft, Name: "x", Workers: 1})
		b := export(t, dir, Options{Type: ft, Name: "x", Workers: 3})
		ab, _ := os.ReadFile(a)
		bb, _ := os.ReadFile(b)
		if !bytes.Equal(ab, bb) {
			t.Errorf("%s: two exports differ", ft)
		}
	}
}
