package synth_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// checkTekken applies mistral-common's Tekkenizer rules (formats.md §3.1).
func checkTekken(b []byte) error {
	var f struct {
		Config struct {
			Pattern          string `json:"pattern"`
			DefaultVocabSize int    `json:"default_vocab_size"`
			NumSpecial       int    `json:"default_num_special_tokens"`
			Version          string `json:"version"`
		} `json:"config"`
		Vocab         []map[string]json.RawMessage `json:"vocab"`
		SpecialTokens []struct {
			Rank     int    `json:"rank"`
			TokenStr string `json:"token_str"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	c := f.Config
	switch c.Version {
	case "v1", "v2", "v3", "v7", "v11", "v13", "v15":
	default:
		return fmt.Errorf("version %q", c.Version)
	}
	if c.Pattern == "" || c.DefaultVocabSize > len(f.Vocab)+c.NumSpecial || len(f.SpecialTokens) > c.NumSpecial {
		return fmt.Errorf("sizes")
	}
	seen := map[string]bool{}
	for i, s := range f.SpecialTokens {
		if s.Rank != i || seen[s.TokenStr] {
			return fmt.Errorf("special %d", i)
		}
		seen[s.TokenStr] = true
	}
	for i, w := range []string{"<unk>", "<s>", "</s>"} {
		if f.SpecialTokens[i].TokenStr != w {
			return fmt.Errorf("special rank %d is %q", i, f.SpecialTokens[i].TokenStr)
		}
	}
	if f.SpecialTokens[11].TokenStr != "<pad>" {
		return fmt.Errorf("pad is not rank 11")
	}
	inner := c.DefaultVocabSize - c.NumSpecial
	if len(f.Vocab) < inner {
		return fmt.Errorf("vocab shorter than %d", inner)
	}
	bs := map[string]bool{}
	for i, e := range f.Vocab[:inner] {
		if len(e) != 3 || e["token_str"] == nil {
			return fmt.Errorf("entry %d keys", i)
		}
		var rank int
		var tb string
		json.Unmarshal(e["rank"], &rank)
		json.Unmarshal(e["token_bytes"], &tb)
		raw, err := base64.StdEncoding.DecodeString(tb)
		if err != nil || rank != i || bs[string(raw)] || i < 256 && !bytes.Equal(raw, []byte{byte(i)}) {
			return fmt.Errorf("entry %d", i)
		}
		bs[string(raw)] = true
	}
	return nil
}

func TestTekkenValid(t *testing.T) {
	for _, v := range []int{1280, 32768, 300} {
		b, err := synth.Tekken(synth.TekkenOptions{VocabSize: v})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkTekken(b); err != nil {
			t.Errorf("vocab %d: %v", v, err)
		}
	}
	if _, err := synth.Tekken(synth.TekkenOptions{VocabSize: 200}); err == nil {
		t.Error("vocab 200 accepted")
	}
}

func TestModelLayouts(t *testing.T) {
	for _, o := range []synth.ModelOptions{
		{},
		{Layout: mistral.FormatHF, DType: "fp16", ShardSize: 50_000},
		{Layout: mistral.FormatHF, Dim: 96, Heads: 6, KVHeads: 3, Hidden: 160, Layers: 1, Vocab: 2048, DType: "fp32"},
	} {
		dir := t.TempDir()
		if err := synth.Model(t.Context(), dir, o); err != nil {
			t.Fatal(err)
		}
		base, err := peft.LoadBase(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := base.CheckTensors(); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"tekken.json", "chat_template.jinja", "generation_config.json"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
		if base.Layout.Index != "" {
			idx, _ := safetensors.ReadIndex(base.Layout.Index)
			if w, err := idx.Verify(dir); err != nil || len(w) > 0 || len(idx.Shards()) < 2 {
				t.Errorf("index: %v %v %d shards", w, err, len(idx.Shards()))
			}
		}
	}
}

func TestWeightsNormalAndDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	o := synth.ModelOptions{Seed: 42, DType: "fp32"}
	if err := synth.Model(t.Context(), a, o); err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	err := synth.Model(t.Context(), b, o)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(a, "consolidated.safetensors"))
	y, _ := os.ReadFile(filepath.Join(b, "consolidated.safetensors"))
	if !bytes.Equal(x, y) {
		t.Fatal("same seed, different bytes")
	}
	f, _ := safetensors.Open(filepath.Join(a, "consolidated.safetensors"))
	defer f.Close()
	w, _ := f.Floats("tok_embeddings.weight")
	var sum, sq float64
	for _, v := range w {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(w))
	if std := math.Sqrt(sq/n - (sum/n)*(sum/n)); math.Abs(std-0.02) > 0.001 || math.Abs(sum/n) > 0.001 {
		t.Errorf("mean %g std %g, want N(0, 0.02)", sum/n, std)
	}
	if n, _ := f.Floats("norm.weight"); n[0] != 1 {
		t.Error("norms are not 1")
	}
}

// TestHFIsConvertedNative checks the golden twin property: the HF model of
// a seed is the native model with HF names and q/k rows permuted.
func TestHFIsConvertedNative(t *testing.T) {
	nd, hd := t.TempDir(), t.TempDir()
	synth.Model(t.Context(), nd, synth.ModelOptions{Seed: 3})
	synth.Model(t.Context(), hd, synth.ModelOptions{Seed: 3, Layout: mistral.FormatHF})
	nf, _ := safetensors.Open(filepath.Join(nd, "consolidated.safetensors"))
	hf, _ := safetensors.Open(filepath.Join(hd, "model.safetensors"))
	defer nf.Close()
	defer hf.Close()
	p, _ := mistral.ReadParams(filepath.Join(nd, "params.json"))
	for _, ti := range nf.Tensors {
		hn, _ := mistral.NameMap{}.ToHF(ti.Name)
		want, _ := nf.Bytes(ti.Name)
		if heads, ok := mistral.RotaryHeads(p, ti.Name); ok {
			want, _ = mistral.PermuteRows(want, int(ti.Shape[0]), heads, mistral.BasisNative)
		}
		got, err := hf.Bytes(hn)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s → %s differs (%v)", ti.Name, hn, err)
		}
	}
}
