package eval

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// TestPromptsThroughOllama runs eval "json" with the ollama runner on a
// GGUF target (a synthesized random model exported as F32): every prompt gets a prediction bound to the
// target, the GGUF's digest is what answered, and the garbage outputs are
// all hard cases.
func TestPromptsThroughOllama(t *testing.T) {
	bin := testenv.RequireOllama(t)
	in := modelTarget(t)
	src := filepath.Join(t.TempDir(), "model")
	if err := synth.Model(t.Context(), src, synth.ModelOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := gguf.Export(t.Context(), src, filepath.Join(in.Dir, "model.gguf"), gguf.Options{Type: gguf.FileF32}); err != nil {
		t.Fatal(err)
	}
	answered, _ := jsoneval.DigestTarget(filepath.Join(in.Dir, "model.gguf"))
	cfg := map[string]any{"target": "export.gguf", "prompts": writePrompts(t, t.TempDir(), 4, 0), "schema": schemaPath(t),
		"runner": map[string]any{"kind": "ollama", "binary": bin, "max_tokens": 8}}
	r, err := runPrompts(t, cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := jsoneval.ReadReport(r.out)
	if err != nil {
		t.Fatal(err)
	}
	g := rep.Generation
	if g.Answered != answered || !g.Bound || g.Runner.Kind != "ollama" || rep.Metrics.Total != 4 || rep.Target != in.Digest {
		t.Fatalf("generation %+v, metrics %+v", g, rep.Metrics)
	}
	if rep.Metrics.Valid != 0 || rep.HardCases != 4 || len(rep.Clusters.ByInputTokens) == 0 {
		t.Errorf("a random model's outputs: metrics %+v, clusters %+v", rep.Metrics, rep.Clusters)
	}
	for _, row := range readRows(t, filepath.Join(r.out, jsoneval.PredictionsFile)) {
		if !strings.Contains(string(row["target_digest"]), in.Digest) || !strings.Contains(string(row["runner"]), answered) {
			t.Errorf("row %s: target %s runner %s", row["id"], row["target_digest"], row["runner"])
		}
	}
	t.Logf("categories %v", rep.Metrics.Categories)
}
