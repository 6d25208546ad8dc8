package eval

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/runner"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// runnerArtifact is what a runner step writes for the target in: the
// answers of an OpenAI-compatible server to 4 prompts (1 garbage).
func runnerArtifact(t *testing.T, in specv1.Input) specv1.Input {
	t.Helper()
	hs := httptest.NewServer(&completions{})
	defer hs.Close()
	out := t.TempDir()
	p := jsoneval.PrepareOptions{Prompts: writePrompts(t, t.TempDir(), 4, 1), Target: in.Dir, Digest: in.Digest,
		Runner: runner.Config{Kind: runner.KindOpenAI, Endpoint: hs.URL}, Scratch: t.TempDir()}
	if _, err := jsoneval.GenerateInto(t.Context(), p, out); err != nil {
		t.Fatal(err)
	}
	return specv1.Input{Step: "runner.local", Attr: "predictions_from", Dir: out, Digest: "sha256:" + strings.Repeat("b", 64)}
}

func TestPredictionsFromRunnerStep(t *testing.T) {
	in := modelTarget(t)
	pred := runnerArtifact(t, in)
	cfg := map[string]any{"target": "merge.support", "predictions_from": "runner.local", "schema": schemaPath(t)}
	r, err := runWith(t, cfg, in, pred)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := jsoneval.ReadReport(filepath.Join(r.out, jsoneval.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	g := rep.Generation
	if r.md.Outputs["verdict"] != "pass" || rep.Metrics.Total != 4 || rep.Metrics.Valid != 3 || g == nil || g.Runner.Kind != "openai" || g.Target != in.Digest || g.Bound {
		t.Fatalf("metrics %+v, generation %+v", rep.Metrics, g)
	}
	// An endpoint the runner did not start proves nothing about the weights.
	cfg["require_bound"] = true
	r, err = runWith(t, cfg, in, pred)
	if err != nil || r.md.Outputs["verdict"] != "fail" || codes(r.md, specv1.SeverityError) != jsoneval.CodeUnbound {
		t.Fatalf("require_bound with an unbound runner: %v %+v", err, r.md)
	}
}

func TestPredictionsFromRunnerStepRefused(t *testing.T) {
	in := modelTarget(t)
	pred := runnerArtifact(t, in)
	cfg := map[string]any{"target": "merge.support", "predictions_from": "runner.local"}
	other := in
	other.Digest = "sha256:" + strings.Repeat("c", 64)
	if _, err := runWith(t, cfg, other, pred); err == nil || !strings.Contains(err.Error(), "runner.local answered for "+in.Digest+", not for the eval's target "+other.Digest) {
		t.Fatalf("another target: err = %v", err)
	}
	os.Remove(filepath.Join(pred.Dir, jsoneval.GenerationFile))
	if _, err := runWith(t, cfg, in, pred); err == nil || !strings.Contains(err.Error(), "runner.local") || !strings.Contains(err.Error(), jsoneval.GenerationFile) {
		t.Fatalf("no generation record: err = %v", err)
	}
	for name, c := range map[string]map[string]any{
		"with prompts": {"target": "m.b", "predictions_from": "runner.local", "prompts": "/p.jsonl"},
		"with runner":  {"target": "m.b", "predictions_from": "runner.local", "runner": map[string]any{"kind": "ollama"}},
	} {
		b, _ := json.Marshal(c)
		if _, ds := parse(b); len(ds) != 1 {
			t.Errorf("%s: diagnostics %+v, want one", name, ds)
		}
	}
}

// runWith runs the eval on exactly these inputs.
func runWith(t *testing.T, cfg map[string]any, inputs ...specv1.Input) (run, error) {
	t.Helper()
	b, _ := json.Marshal(cfg)
	r := run{out: t.TempDir(), ev: &events{}}
	req := &specv1.RunRequest{Kind: "eval", Type: "json", Step: "eval.format", Config: b,
		Inputs: inputs, OutputDir: r.out, ScratchDir: t.TempDir()}
	var err error
	r.md, err = comp().Run(context.Background(), req, r.ev)
	return r, err
}
