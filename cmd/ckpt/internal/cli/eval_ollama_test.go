package cli

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// evalOllamaSpec exports the quickstart's merge as an F32 GGUF (on a tiny
// random model the next-token distribution is nearly flat and quantized
// matmuls flip greedy ties between llama.cpp builds) and gates it on the
// answers Ollama gives to the prompts; min_valid = 0 because a random model
// writes no JSON.
const evalOllamaSpec = mergeSpec + `
export "gguf" "release" {
  from  = merge.support
  name  = "support-assistant"
  types = ["f32"]
}

eval "json" "format" {
  target    = export.release
  prompts   = "./evals/prompts.jsonl"
  schema    = "./evals/ticket.schema.json"
  min_valid = 0
  runner    = { kind = "ollama", binary = %q, max_tokens = %d, request_timeout = "60s", timeout = "5m" }
}
`

// evalMaxTokens bounds every answer.
const evalMaxTokens = 12

// evalPrompts are the prompts the eval sends, as chat messages.
var evalPrompts = []string{"I was charged twice this month.", "My password reset link expired.", "Cancel my subscription, please."}

// evalOllamaProject is the quickstart's checkpoints with evalOllamaSpec and
// a prompts file.
func evalOllamaProject(t *testing.T, ollama string) string {
	t.Helper()
	dir := ggufProject(t, fmt.Sprintf(evalOllamaSpec, ollama, evalMaxTokens))
	var sb strings.Builder
	for i, p := range evalPrompts {
		b, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("p%d", i), "messages": []map[string]string{{"role": "user", "content": p}}})
		sb.Write(append(b, '\n'))
	}
	if err := os.WriteFile(filepath.Join(dir, "evals", "prompts.jsonl"), []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// evalRun is what one build's eval produced.
type evalRun struct {
	target, eval run.Event
	report       *jsoneval.Report
	rows         []map[string]json.RawMessage
	gguf         string
}

// buildEval builds dir and exports the eval's report and the GGUF.
func buildEval(t *testing.T, dir string) evalRun {
	t.Helper()
	evs := buildArtifacts(t, dir)
	r := evalRun{target: evs["export.release"], eval: evs["eval.format"]}
	if r.eval.Status != run.StatusOK && r.eval.Status != run.StatusCached {
		t.Fatalf("eval.format: %+v", r.eval)
	}
	out := exportDir(t, dir, "eval.format")
	rep, err := jsoneval.ReadReport(out)
	if err != nil {
		t.Fatal(err)
	}
	r.report = rep
	b, err := os.ReadFile(filepath.Join(out, jsoneval.PredictionsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		row := map[string]json.RawMessage{}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		r.rows = append(r.rows, row)
	}
	r.gguf = filepath.Join(exportDir(t, dir, "export.release"), "support-assistant-F32.gguf")
	return r
}

// TestBuildEvalOllama: a build gates the GGUF export on what Ollama
// answers: one prediction per prompt, each carrying the export's digest,
// the report naming the GGUF file that answered, and the same answers as
// llama.cpp gives greedily on the same file for the same rendered prompt.
func TestBuildEvalOllama(t *testing.T) {
	bin := testenv.RequireOllama(t)
	llama := testenv.RequireLlama(t)
	dir := evalOllamaProject(t, bin)
	r := buildEval(t, dir)
	g := r.report.Generation
	answered, err := jsoneval.DigestTarget(r.gguf)
	if err != nil {
		t.Fatal(err)
	}
	if r.report.Target != r.target.Artifact || g == nil || g.Runner.Kind != "ollama" || !g.Bound || g.Answered != answered {
		t.Fatalf("report target %s (export %s), generation %+v (GGUF %s)", r.report.Target, r.target.Artifact, g, answered)
	}
	if len(r.rows) != len(evalPrompts) || r.report.Metrics.Total != len(evalPrompts) {
		t.Fatalf("%d predictions, metrics %+v, for %d prompts", len(r.rows), r.report.Metrics, len(evalPrompts))
	}
	for i, row := range r.rows {
		var id, output, prompt string
		json.Unmarshal(row["id"], &id)
		json.Unmarshal(row["output"], &output)
		json.Unmarshal(row["input"], &prompt)
		if id != fmt.Sprintf("p%d", i) || !strings.Contains(string(row["target_digest"]), r.target.Artifact) {
			t.Errorf("row %d: id %q, target_digest %s, want %s", i, id, row["target_digest"], r.target.Artifact)
		}
		if !strings.Contains(prompt, "[INST]"+evalPrompts[i]) {
			t.Errorf("%s: the prompt sent %q is not the target's template applied to %q", id, prompt, evalPrompts[i])
		}
		// Ollama drops the byte tokens that form no UTF-8 and may hold
		// back what follows them: its answer is a prefix of llama.cpp's
		// with those bytes left out.
		want := llama.GenerateValid(t, r.gguf, "", prompt, evalMaxTokens, "</s>")
		if output == "" || !strings.HasPrefix(want, output) {
			t.Errorf("%s: Ollama %q, llama.cpp %q on %q", id, output, want, prompt)
		}
	}

	// Nothing changed: the eval is cached, same report.
	again := buildEval(t, dir)
	if again.eval.Status != run.StatusCached || again.eval.Artifact != r.eval.Artifact {
		t.Errorf("rebuild with nothing changed: eval %s %s, first %s", again.eval.Status, again.eval.Artifact, r.eval.Artifact)
	}
	// One byte of the adapter: a new target, a new run, a new report.
	flipAdapterByte(t, filepath.Join(dir, "adapters", "support", "adapter_model.safetensors"))
	changed := buildEval(t, dir)
	if changed.target.Artifact == r.target.Artifact || changed.eval.Status != run.StatusOK {
		t.Fatalf("after one adapter byte: export %s (was %s), eval %s", changed.target.Artifact, r.target.Artifact, changed.eval.Status)
	}
	if changed.report.Target != changed.target.Artifact || changed.report.Generation.Answered == r.report.Generation.Answered {
		t.Errorf("after one adapter byte: report target %s answered %s, want %s and not %s",
			changed.report.Target, changed.report.Generation.Answered, changed.target.Artifact, r.report.Generation.Answered)
	}
	for _, row := range changed.rows {
		if !strings.Contains(string(row["target_digest"]), changed.target.Artifact) {
			t.Errorf("after one adapter byte: row %s carries %s", row["id"], row["target_digest"])
		}
	}
}

// flipAdapterByte rewrites the first value of the file's first lora_B
// tensor by name (BF16): its top mantissa bit, in the low byte.
func flipAdapterByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	var header map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(header)) {
		var ti struct {
			Dtype   string   `json:"dtype"`
			Offsets []uint64 `json:"data_offsets"`
		}
		if strings.HasSuffix(name, "lora_B.weight") && json.Unmarshal(header[name], &ti) == nil && ti.Dtype == "BF16" {
			b[8+n+ti.Offsets[0]] ^= 0x40
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("%s: no BF16 lora_B tensor", path)
}
