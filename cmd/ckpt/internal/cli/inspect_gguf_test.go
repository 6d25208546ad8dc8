package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

func TestInspectGGUF(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := synth.Model(context.Background(), src, synth.ModelOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "gguf")
	for _, ty := range []gguf.FileType{gguf.FileQ8_0, gguf.FileBF16} {
		if err := gguf.Export(context.Background(), src, filepath.Join(out, "tiny-"+strings.ToUpper(string(ty))+".gguf"), gguf.Options{Type: ty, Name: "tiny", License: "Apache-2.0"}); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(out, "tiny-Q8_0.gguf")
	code, stdout, errOut := ckptRun(t, "inspect", file)
	if code != 0 {
		t.Fatalf("inspect: exit %d %s", code, errOut)
	}
	for _, want := range []string{"GGUF v3", `general.license`, `"Apache-2.0"`, "tokenizer.ggml.tokens", "[1280]", "blk.0.attn_q.weight", "Q8_0", "output_norm.weight"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = ckptRun(t, "inspect", out, "--json")
	var reps []ggufReport
	if code != 0 || json.Unmarshal([]byte(stdout), &reps) != nil || len(reps) != 2 {
		t.Fatalf("inspect DIR --json: exit %d\n%.400s", code, stdout)
	}
	f, _ := gguf.ReadFile(file)
	if len(reps[1].Tensors) != len(f.Tensors) || reps[1].Tensors[0].Name != f.Tensors[0].Name {
		t.Errorf("tensors %+v", reps[1].Tensors)
	}
	bad := filepath.Join(dir, "bad.gguf")
	if err := os.WriteFile(bad, []byte("GGUF\x03\x00\x00\x00junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := ckptRun(t, "inspect", bad); code != 1 || !strings.Contains(errOut, "bad.gguf") {
		t.Errorf("inspect of a broken GGUF: exit %d %s", code, errOut)
	}
}
