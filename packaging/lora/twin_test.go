package lora

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// TestTwinMerges is the golden of formats.md §9 recipe 4: merging a
// mistral-finetune adapter into a native base, then converting to HF,
// equals merging its PEFT twin into the HF conversion of the base.
func TestTwinMerges(t *testing.T) {
	dir := t.TempDir()
	nb, hb := filepath.Join(dir, "native"), filepath.Join(dir, "hf")
	for p, l := range map[string]mistral.Format{nb: mistral.FormatNative, hb: mistral.FormatHF} {
		if err := synth.Model(t.Context(), p, synth.ModelOptions{Seed: 40, Layout: l}); err != nil {
			t.Fatal(err)
		}
	}
	mf, pf := filepath.Join(dir, "mf"), filepath.Join(dir, "peft")
	if err := synth.Adapter(t.Context(), mf, synth.AdapterOptions{Base: nb, Format: peft.FormatMistralFinetune, Seed: 41}); err != nil {
		t.Fatal(err)
	}
	if err := synth.Adapter(t.Context(), pf, synth.AdapterOptions{Base: hb, Format: peft.FormatPEFT, Seed: 41}); err != nil {
		t.Fatal(err)
	}
	on, oh := filepath.Join(dir, "out-native"), filepath.Join(dir, "out-hf")
	os.Mkdir(on, 0o755)
	os.Mkdir(oh, 0o755)
	if err := Merge(t.Context(), Options{Base: nb, Adapters: []AdapterInput{{Dir: mf, Format: peft.FormatMistralFinetune}}, Out: on}); err != nil {
		t.Fatal(err)
	}
	if err := Merge(t.Context(), Options{Base: hb, Adapters: []AdapterInput{{Dir: pf, Format: peft.FormatPEFT}}, Out: oh}); err != nil {
		t.Fatal(err)
	}
	p, _ := mistral.ReadParams(filepath.Join(nb, "params.json"))
	nf, err := safetensors.Open(filepath.Join(on, "consolidated.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer nf.Close()
	hf, err := safetensors.Open(filepath.Join(oh, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	for _, ti := range nf.Tensors {
		want, _ := nf.Bytes(ti.Name)
		if heads, ok := mistral.RotaryHeads(p, ti.Name); ok {
			want, _ = mistral.PermuteRows(want, int(ti.Shape[0]), heads, mistral.BasisNative)
		}
		name, _ := mistral.NameMap{}.ToHF(ti.Name)
		got, err := hf.Bytes(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: HF merge differs from the converted native merge (%v)", name, err)
		}
	}
}
