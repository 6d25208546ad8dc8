package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseExample runs examples/release as its run.sh does, in a copy:
// the build passes for research use, the license gate refuses commercial
// use naming the MNPL adapter, and the published bundle passes an audit
// for research and fails one for commercial use.
func TestReleaseExample(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "..", "..", "examples", "release")
	for _, f := range []string{"release.ckpt.hcl", "policies/commercial.hcl"} {
		copyFile(t, filepath.Join(src, f), filepath.Join(dir, f), 0o644)
	}
	steps := [][]string{
		{"synth", "model", dir + "/base", "--layout", "hf", "--shard-size", "300KB", "--seed", "11"},
		{"synth", "adapter", dir + "/adapters/tickets", "--base", dir + "/base", "--format", "peft", "--rank", "16", "--rslora", "--seed", "12"},
		{"synth", "adapter", dir + "/adapters/style", "--base", dir + "/base", "--format", "mistral-finetune", "--rank", "4", "--targets", "wq,wv", "--seed", "13"},
		{"synth", "dataset", dir + "/data", "--n", "50"},
		{"synth", "predictions", dir + "/evals", "--n", "200"},
		{"build", dir, "--only", "merge.release"},
		{"eval", "stamp", dir + "/evals/predictions.jsonl", "--dir", dir, "--target", "merge.release", "--out", dir + "/evals/predictions.jsonl"},
		{"build", dir},
		{"push", dir},
	}
	for _, args := range steps {
		if code, out, errOut := ckptProc(t, nil, args...); code != 0 {
			t.Fatalf("ckpt %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	code, _, errOut := ckptProc(t, nil, "build", dir, "--var", "use=commercial")
	if code != 1 || !strings.Contains(errOut, "license.forbidden: adapter.style") || !strings.Contains(errOut, "LicenseRef-MNPL-0.1") {
		t.Fatalf("commercial build: exit %d\n%s", code, errOut)
	}
	ref := "oci:" + filepath.Join(dir, "out", "oci") + ":2026-11-27"
	if code, out, errOut := ckptProc(t, nil, "audit", ref); code != 0 || !strings.Contains(out, "pass") {
		t.Fatalf("research audit: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ := ckptProc(t, nil, "audit", "--policy", filepath.Join(dir, "policies", "commercial.hcl"), ref)
	if code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(out, "house-style-2026-10") {
		t.Fatalf("commercial audit: exit %d\n%s", code, out)
	}
}
