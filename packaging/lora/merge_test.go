package lora

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// fixture is a synthetic base and its adapters under one temp folder.
type fixture struct {
	dir, base string
}

func newBase(t *testing.T, o synth.ModelOptions) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{dir: dir, base: filepath.Join(dir, "base")}
	if err := synth.Model(t.Context(), f.base, o); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f fixture) adapter(t *testing.T, name string, o synth.AdapterOptions) string {
	t.Helper()
	o.Base = f.base
	p := filepath.Join(f.dir, name)
	if err := synth.Adapter(t.Context(), p, o); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkNumpy runs the independent numpy reference over the merge output.
func checkNumpy(t *testing.T, f fixture, out, dtype string, ads []AdapterInput) {
	t.Helper()
	py := testenv.RequirePython(t, "numpy")
	type ref struct {
		Dir    string  `json:"dir"`
		Format string  `json:"format"`
		Basis  string  `json:"basis"`
		Weight float64 `json:"weight"`
	}
	var refs []ref
	for _, a := range ads {
		w := a.Weight
		if w == 0 {
			w = 1
		}
		refs = append(refs, ref{a.Dir, string(a.Format), string(a.Basis), w})
	}
	js := filepath.Join(f.dir, "adapters.json")
	b, _ := json.Marshal(refs)
	os.WriteFile(js, b, 0o644)
	cmd := exec.CommandContext(t.Context(), py, "testdata/merge_ref.py", f.base, out, dtype, js)
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("numpy reference: %v\n%s", err, res)
	}
	var sum struct {
		Merged int `json:"merged"`
		MaxULP int `json:"max_ulp"`
	}
	if err := json.Unmarshal(res, &sum); err != nil || sum.Merged == 0 || sum.MaxULP > 1 {
		t.Fatalf("numpy reference: %s (%v)", res, err)
	}
	t.Logf("numpy: %s", res)
}

func TestMergeMatchesNumpy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		model  synth.ModelOptions
		ads    []synth.AdapterOptions
		basis  []mistral.Basis
		weight []float64
		dtype  string
		shard  int64
	}{
		{name: "peft hf-basis onto native base", model: synth.ModelOptions{Seed: 1},
			ads: []synth.AdapterOptions{{Format: peft.FormatPEFT, Rank: 8, Alpha: 16, Seed: 2}}, dtype: "bf16"},
		{name: "rslora onto sharded hf base to fp16", model: synth.ModelOptions{Layout: mistral.FormatHF, Seed: 3, Heads: 8, KVHeads: 2},
			ads: []synth.AdapterOptions{{Format: peft.FormatPEFT, Rank: 16, Alpha: 8, RSLoRA: true, Seed: 4, Targets: []string{"wq", "wk", "w2"}}}, dtype: "fp16", shard: 40_000},
		{name: "mistral-finetune onto native to fp32", model: synth.ModelOptions{Seed: 5, DType: "fp32"},
			ads: []synth.AdapterOptions{{Format: peft.FormatMistralFinetune, Rank: 4, Alpha: 8, Seed: 6}}, dtype: "fp32"},
		{name: "two weighted adapters", model: synth.ModelOptions{Seed: 7},
			ads:    []synth.AdapterOptions{{Format: peft.FormatMistralFinetune, Rank: 8, Seed: 8}, {Format: peft.FormatPEFT, Rank: 4, Alpha: 32, Seed: 9, Targets: []string{"wq", "wv"}}},
			weight: []float64{0.7, -0.3}, dtype: "bf16"},
		{name: "native-basis mistral-finetune onto hf base", model: synth.ModelOptions{Layout: mistral.FormatHF, Seed: 10, DType: "fp16"},
			ads: []synth.AdapterOptions{{Format: peft.FormatMistralFinetune, Rank: 8, Seed: 11}}, dtype: "bf16"},
		{name: "odd sizes (vector tails)", model: synth.ModelOptions{Seed: 14, Dim: 36, Heads: 2, KVHeads: 1, Hidden: 44, Vocab: 300},
			ads: []synth.AdapterOptions{{Format: peft.FormatPEFT, Rank: 7, Seed: 15}}, dtype: "bf16"},
		{name: "peft in native basis onto native base", model: synth.ModelOptions{Seed: 12},
			ads: []synth.AdapterOptions{{Format: peft.FormatPEFT, Rank: 8, Seed: 13, Basis: mistral.BasisNative}}, basis: []mistral.Basis{mistral.BasisNative}, dtype: "bf16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newBase(t, tc.model)
			var ins []AdapterInput
			for i, ao := range tc.ads {
				in := AdapterInput{Dir: f.adapter(t, "ad"+string(rune('0'+i)), ao), Format: ao.Format}
				if i < len(tc.weight) {
					in.Weight = tc.weight[i]
				}
				if i < len(tc.basis) {
					in.Basis = tc.basis[i]
				}
				ins = append(ins, in)
			}
			out := filepath.Join(f.dir, "out")
			os.Mkdir(out, 0o755)
			var events int
			err := Merge(t.Context(), Options{Base: f.base, Adapters: ins, Out: out, DType: tc.dtype, ShardSize: tc.shard,
				Progress: func(done, total int64, _ string) { events++ }})
			if err != nil {
				t.Fatal(err)
			}
			if events == 0 {
				t.Error("no progress events")
			}
			checkNumpy(t, f, out, tc.dtype, ins)
			checkCarried(t, f.base, out, tc.dtype)
		})
	}
}

// checkCarried asserts tokenizer and config files are byte-identical (HF
// config.json: but for torch_dtype) and the output keeps the base's layout.
func checkCarried(t *testing.T, base, out, dtype string) {
	t.Helper()
	bl, err := mistral.DetectLayout(base)
	if err != nil {
		t.Fatal(err)
	}
	ol, err := mistral.DetectLayout(out)
	if err != nil {
		t.Fatalf("output layout: %v", err)
	}
	if ol.Format != bl.Format {
		t.Errorf("output layout %s, base %s", ol.Format, bl.Format)
	}
	carried := []string{"tekken.json", "chat_template.jinja", "generation_config.json"}
	if bl.Format == mistral.FormatNative {
		carried = append(carried, "params.json")
	}
	for _, n := range carried {
		a, _ := os.ReadFile(filepath.Join(base, n))
		b, err := os.ReadFile(filepath.Join(out, n))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s not carried over unchanged (%v)", n, err)
		}
	}
	if bl.Format == mistral.FormatHF {
		c, err := mistral.ReadHFConfig(filepath.Join(out, "config.json"))
		want := map[string]string{"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}[dtype]
		if err != nil || c.TorchDType != want {
			t.Errorf("config.json torch_dtype %q, want %q (%v)", c.TorchDType, want, err)
		}
	}
}

func TestMergeDeterministic(t *testing.T) {
	f := newBase(t, synth.ModelOptions{Seed: 20, Layers: 3})
	ad := f.adapter(t, "ad", synth.AdapterOptions{Seed: 21})
	var digests []string
	for i, workers := range []int{1, 4} {
		out := filepath.Join(f.dir, "out"+string(rune('0'+i)))
		os.Mkdir(out, 0o755)
		if err := Merge(context.Background(), Options{Base: f.base, Adapters: []AdapterInput{{Dir: ad, Format: peft.FormatPEFT}}, Out: out, Workers: workers}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(out, "consolidated.safetensors"))
		digests = append(digests, string(b))
	}
	if digests[0] != digests[1] {
		t.Fatal("output bytes depend on the number of workers")
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"5GB": 5e9, "500MiB": 500 << 20, "1024": 1024, "2.5 GB": 2.5e9, "": 0} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("%q = %d %v", s, got, err)
		}
	}
	for _, s := range []string{"-1GB", "x", "0"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestMergeUnknownBaseTensor(t *testing.T) {
	f := newBase(t, synth.ModelOptions{})
	ad := f.adapter(t, "ad", synth.AdapterOptions{})
	out := t.TempDir()
	os.Remove(filepath.Join(f.base, "params.json"))
	err := Merge(context.Background(), Options{Base: f.base, Adapters: []AdapterInput{{Dir: ad, Format: peft.FormatPEFT}}, Out: out})
	if err == nil || !strings.Contains(err.Error(), "params.json") {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkMergeTensor(b *testing.B) {
	// One 1024×4096 bf16 tensor with a rank-16 update (8 MiB in, 8 MiB out).
	dir := b.TempDir()
	base := filepath.Join(dir, "base")
	if err := synth.Model(b.Context(), base, synth.ModelOptions{Dim: 1024, Hidden: 4096, Layers: 1, Heads: 8, KVHeads: 8, Vocab: 1280}); err != nil {
		b.Fatal(err)
	}
	ad := filepath.Join(dir, "ad")
	if err := synth.Adapter(b.Context(), ad, synth.AdapterOptions{Base: base, Rank: 16, Targets: []string{"w1"}}); err != nil {
		b.Fatal(err)
	}
	m, err := prepare(Options{Base: base, Adapters: []AdapterInput{{Dir: ad, Format: peft.FormatPEFT}}, Out: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer m.close()
	if err := m.plan(); err != nil {
		b.Fatal(err)
	}
	defer m.abort()
	var t *outTensor
	for _, x := range m.tensors {
		if len(x.adds) > 0 {
			t = x
		}
	}
	b.SetBytes(t.info.Len())
	s := &scratch{}
	for b.Loop() {
		if err := processTensor(b.Context(), t, s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMergeCancelledLeavesNothing(t *testing.T) {
	f := newBase(t, synth.ModelOptions{Layout: "hf"})
	ad := f.adapter(t, "ad", synth.AdapterOptions{})
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Merge(ctx, Options{Base: f.base, Adapters: []AdapterInput{{Dir: ad, Format: peft.FormatPEFT}}, Out: out, ShardSize: 50_000})
	if err == nil {
		t.Fatal("cancelled merge succeeded")
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("%d files left after cancellation", len(ents))
	}
}
