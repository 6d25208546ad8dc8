package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// runnerStepSpec adds to evalOllamaSpec the pluggable form of the same
// gate: a runner "ollama" step whose predictions an eval scores.
const runnerStepSpec = `
runner "ollama" "local" {
  target          = export.release
  prompts         = "./evals/prompts.jsonl"
  binary          = %q
  max_tokens      = %d
  request_timeout = "60s"
}

eval "json" "step" {
  target           = export.release
  predictions_from = runner.local
  schema           = "./evals/ticket.schema.json"
  min_valid        = 0
}
`

// TestBuildRunnerStepOllama: a runner step answers the prompts on the
// export, as the inline runner does (same outputs, same digest on every
// row); its eval is bound to the export; nothing changed keeps both cached.
func TestBuildRunnerStepOllama(t *testing.T) {
	bin := testenv.RequireOllama(t)
	dir := evalOllamaProject(t, bin)
	spec := filepath.Join(dir, "gguf.ckpt.hcl")
	b, _ := os.ReadFile(spec)
	if err := os.WriteFile(spec, append(b, fmt.Sprintf(runnerStepSpec, bin, evalMaxTokens)...), 0o644); err != nil {
		t.Fatal(err)
	}
	inline := buildEval(t, dir)
	evs := buildArtifacts(t, dir)
	for _, s := range []string{"runner.local", "eval.step", "eval.format"} {
		if evs[s].Status != run.StatusCached {
			t.Errorf("rebuild with nothing changed: %s %s", s, evs[s].Status)
		}
	}
	out := exportDir(t, dir, "runner.local")
	g, err := jsoneval.ReadGeneration(out)
	if err != nil {
		t.Fatal(err)
	}
	if g.Target != inline.target.Artifact || !g.Bound || !g.Runner.Started || g.Answered != inline.report.Generation.Answered {
		t.Fatalf("runner generation %+v; export %s", g, inline.target.Artifact)
	}
	rows := readJSONL(t, filepath.Join(out, jsoneval.PredictionsFile))
	if len(rows) != len(inline.rows) {
		t.Fatalf("%d runner predictions, %d inline", len(rows), len(inline.rows))
	}
	for i, row := range rows {
		if string(row["output"]) != string(inline.rows[i]["output"]) || string(row["target_digest"]) != string(inline.rows[i]["target_digest"]) {
			t.Errorf("row %d: runner step %s %s, inline %s %s", i, row["output"], row["target_digest"], inline.rows[i]["output"], inline.rows[i]["target_digest"])
		}
	}
	rep, err := jsoneval.ReadReport(exportDir(t, dir, "eval.step"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Target != inline.target.Artifact || rep.Generation.PromptsDigest != inline.report.Generation.PromptsDigest || rep.Metrics.Total != len(evalPrompts) {
		t.Errorf("eval.step report: target %s, generation %+v, metrics %+v", rep.Target, rep.Generation, rep.Metrics)
	}
}

func readJSONL(t *testing.T, path string) []map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]json.RawMessage
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		row := map[string]json.RawMessage{}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		rows = append(rows, row)
	}
	return rows
}
