package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

func synthRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	return code, out.String(), errb.String()
}

func TestSynthModelAdapterMerge(t *testing.T) {
	dir := t.TempDir()
	base, hf, ad, mf, out := filepath.Join(dir, "base"), filepath.Join(dir, "hf"), filepath.Join(dir, "ad"), filepath.Join(dir, "mf"), filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"synth", "model", base, "--seed", "3"},
		{"synth", "model", hf, "--layout", "hf", "--dim", "96", "--heads", "6", "--kv-heads", "2", "--hidden", "192", "--layers", "1", "--vocab", "512", "--dtype", "fp16", "--shard-size", "60KB"},
		{"synth", "adapter", ad, "--base", base, "--rank", "4", "--alpha", "8", "--targets", "wq,wk,w2", "--rslora"},
		{"synth", "adapter", mf, "--base", hf, "--format", "mistral-finetune", "--rank", "2"},
		{"synth", "merge", out, "--base", base, "--adapter", ad + ":peft:0.5"},
	} {
		if code, o, e := synthRun(args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, o, e)
		}
	}
	b, err := peft.LoadBase(hf)
	if err != nil || b.Layout.Index == "" || b.Params.NHeads != 6 {
		t.Fatalf("hf model: %v", err)
	}
	a, err := peft.Read(ad, peft.FormatPEFT)
	if err != nil || !a.RSLoRA || a.Rank != 4 || len(a.Modules) != 6 {
		t.Fatalf("adapter: %+v %v", a, err)
	}
	if _, err := peft.Read(mf, peft.FormatMistralFinetune); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "consolidated.safetensors")); err != nil {
		t.Fatal(err)
	}
}

func TestSynthErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"synth", "model", dir + "/m", "--layout", "gguf"}, 2, "--layout"},
		{[]string{"synth", "model", dir + "/m", "--vocab", "100"}, 1, "vocab"},
		{[]string{"synth", "model", dir + "/m", "--dtype", "int4"}, 1, "dtype"},
		{[]string{"synth", "model", dir + "/m", "--size", "1GiB", "--dim", "128"}, 2, "--size chooses the dimensions: drop --dim"},
		{[]string{"synth", "model", dir + "/m", "--size", "lots"}, 2, "--size"},
		{[]string{"synth", "adapter", dir + "/a"}, 2, "--base"},
		{[]string{"synth", "adapter", dir + "/a", "--base", dir}, 1, "neither"},
	} {
		code, _, errOut := synthRun(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}

// TestSynthVisionMerge: an adapter on a vision model targets the language
// layers only, and merging it leaves every vision tensor byte-identical.
func TestSynthVisionMerge(t *testing.T) {
	for _, layout := range []string{"native", "hf"} {
		t.Run(layout, func(t *testing.T) { synthVisionMerge(t, layout) })
	}
}

func synthVisionMerge(t *testing.T, layout string) {
	dir := t.TempDir()
	base, ad, out := filepath.Join(dir, "base"), filepath.Join(dir, "ad"), filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"synth", "model", base, "--vision", "--layout", layout, "--seed", "5"},
		{"synth", "adapter", ad, "--base", base, "--seed", "6"},
		{"synth", "merge", out, "--base", base, "--adapter", ad + ":peft"},
		{"check", out},
	} {
		if code, o, e := synthRun(args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, o, e)
		}
	}
	file := "consolidated.safetensors"
	if layout == "hf" {
		file = "model.safetensors"
	}
	a, err := peft.Read(ad, peft.FormatPEFT)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range a.Modules {
		if strings.Contains(m.Name, "vision") {
			t.Errorf("adapter targets %s", m.Name)
		}
	}
	in, err := safetensors.Open(filepath.Join(base, file))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	merged, err := safetensors.Open(filepath.Join(out, file))
	if err != nil {
		t.Fatal(err)
	}
	defer merged.Close()
	vision, changed := 0, 0
	for _, ti := range in.Tensors {
		x, _ := in.Bytes(ti.Name)
		y, err := merged.Bytes(ti.Name)
		if err != nil {
			t.Fatalf("merged model lacks %s: %v", ti.Name, err)
		}
		same := bytes.Equal(x, y)
		if strings.HasPrefix(ti.Name, "vision") || strings.HasPrefix(ti.Name, "multi_modal_projector") {
			vision++
			if !same {
				t.Errorf("vision tensor %s changed", ti.Name)
			}
		} else if !same {
			changed++
		}
	}
	if vision == 0 || changed == 0 {
		t.Fatalf("%d vision tensors, %d language tensors changed", vision, changed)
	}
}

// TestQuickstartInputsAreSynthesized: the base and adapter committed under
// examples/quickstart are exactly what run.sh's ckpt synth commands make,
// so a change to synth tells to regenerate them.
func TestQuickstartInputsAreSynthesized(t *testing.T) {
	dir := t.TempDir()
	base, ad := filepath.Join(dir, "base"), filepath.Join(dir, "adapters", "support")
	for _, args := range [][]string{
		{"synth", "model", base, "--layout", "native", "--seed", "1"},
		{"synth", "adapter", ad, "--base", base, "--format", "peft", "--rank", "8", "--alpha", "16", "--targets", "wq,wk,wv,wo", "--seed", "2"},
	} {
		if code, o, e := synthRun(args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, o, e)
		}
	}
	committed := filepath.Join("..", "..", "..", "..", "examples", "quickstart")
	for _, sub := range []string{"base", filepath.Join("adapters", "support")} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		have, _ := os.ReadDir(filepath.Join(committed, sub))
		if len(have) != len(ents) {
			t.Errorf("%s: %d files committed, synth makes %d (run examples/quickstart/run.sh and commit)", sub, len(have), len(ents))
		}
		for _, e := range ents {
			want, _ := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			got, err := os.ReadFile(filepath.Join(committed, sub, e.Name()))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("examples/quickstart/%s/%s differs from what synth makes (%v): run examples/quickstart/run.sh and commit", sub, e.Name(), err)
			}
		}
	}
}
