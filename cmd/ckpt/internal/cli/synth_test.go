package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/peft"
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
		{[]string{"synth", "adapter", dir + "/a"}, 2, "--base"},
		{[]string{"synth", "adapter", dir + "/a", "--base", dir}, 1, "neither"},
	} {
		code, _, errOut := synthRun(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
