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

// tableProject copies the example runner plugin's project (spec, prompts,
// answers, schema) and its freshly built binary into a temporary folder,
// with a synthesized model.
func tableProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	src := filepath.Join("..", "..", "..", "..", "examples", "plugins", "table")
	for _, f := range []string{"example.ckpt.hcl", "prompts.jsonl", "answers.jsonl", "ticket.schema.json"} {
		copyFile(t, filepath.Join(src, f), filepath.Join(dir, f), 0o644)
	}
	copyFile(t, binaries(t).table, filepath.Join(dir, "bin", "ckpt-plugin-table"), 0o755)
	if code, out, errOut := ckptRun(t, "synth", "model", filepath.Join(dir, "model"), "--layout", "native", "--seed", "1"); code != 0 {
		t.Fatalf("synth: exit %d\n%s%s", code, out, errOut)
	}
	return dir
}

// TestExampleRunnerPlugin: a third party's runner kind, installed by ckpt
// init and pinned in the lock, feeds eval "json" like a built-in runner;
// its answers are not bound, so require_bound = true refuses them.
func TestExampleRunnerPlugin(t *testing.T) {
	dir := tableProject(t)
	if code, out, errOut := ckptRun(t, "init", dir); code != 0 || !strings.Contains(out, "Installed plugin table 0.1.0") {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	evs := buildArtifacts(t, dir)
	if evs["runner.recorded"].Status != run.StatusOK || evs["eval.format"].Status != run.StatusOK {
		t.Fatalf("build: runner %+v, eval %+v", evs["runner.recorded"], evs["eval.format"])
	}
	rep, err := jsoneval.ReadReport(exportDir(t, dir, "eval.format"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != jsoneval.VerdictPass || rep.Metrics.Valid != 2 || rep.Target != evs["model.base"].Artifact ||
		rep.Generation.Runner.Kind != "table" || rep.Generation.Bound {
		t.Fatalf("report: verdict %s, metrics %+v, target %s (model %s), generation %+v",
			rep.Verdict, rep.Metrics, rep.Target, evs["model.base"].Artifact, rep.Generation)
	}
	spec := filepath.Join(dir, "example.ckpt.hcl")
	b, _ := os.ReadFile(spec)
	os.WriteFile(spec, []byte(strings.Replace(string(b), "min_valid        = 1", "min_valid        = 1\n  require_bound    = true", 1)), 0o644)
	code, out, errOut := ckptProc(t, nil, "build", dir)
	if code == 0 || !strings.Contains(out+errOut, "cannot prove serves the target's files") {
		t.Fatalf("require_bound with recorded answers: exit %d\n%s%s", code, out, errOut)
	}
}
