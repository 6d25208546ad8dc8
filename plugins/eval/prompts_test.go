package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatdata"
	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

const answer = `{"category":"billing","priority":2,"summary":"Refund"}`

// completions is an OpenAI-compatible server that answers the JSON ticket
// unless the prompt asks for garbage, and records the prompts it got.
type completions struct {
	mu      sync.Mutex
	prompts []string
	key     string
}

func (c *completions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.key != "" && r.Header.Get("Authorization") != "Bearer "+c.key {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.URL.Path == "/v1/models" {
		fmt.Fprint(w, `{"data":[{"id":"support-7b"}]}`)
		return
	}
	var body struct {
		Prompt string `json:"prompt"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	c.mu.Lock()
	c.prompts = append(c.prompts, body.Prompt)
	c.mu.Unlock()
	text := answer
	if strings.Contains(body.Prompt, "garbage") {
		text = "Sure! Here is the ticket: " + answer
	}
	json.NewEncoder(w).Encode(map[string]any{"choices": []map[string]any{{"text": text, "finish_reason": "stop"}},
		"usage": map[string]any{"prompt_tokens": 12, "completion_tokens": 20}})
}

// writePrompts writes n prompts, the first `garbage` of them asking for
// garbage, each with the expected ticket.
func writePrompts(t *testing.T, dir string, n, garbage int) string {
	t.Helper()
	var sb strings.Builder
	for i := range n {
		text := fmt.Sprintf("Ticket %d: I was charged twice.", i)
		if i < garbage {
			text += " garbage"
		}
		row := map[string]any{"id": fmt.Sprintf("p%d", i), "tags": []string{"billing"},
			"messages": []map[string]string{{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": text}},
			"expected": json.RawMessage(answer)}
		b, _ := json.Marshal(row)
		sb.Write(append(b, '\n'))
	}
	p := filepath.Join(dir, "prompts.jsonl")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// modelTarget is a target folder holding the synthesized model's template.
func modelTarget(t *testing.T) specv1.Input {
	in := target()
	in.Dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(in.Dir, "chat_template.jinja"), []byte(synth.ChatTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	return in
}

func runPrompts(t *testing.T, cfg map[string]any, in specv1.Input) (run, error) {
	t.Helper()
	b, _ := json.Marshal(cfg)
	r := run{out: t.TempDir(), ev: &events{}}
	req := &specv1.RunRequest{Kind: "eval", Type: "json", Step: "eval.format", Config: b,
		Inputs: []specv1.Input{in}, OutputDir: r.out, ScratchDir: t.TempDir()}
	var err error
	r.md, err = comp().Run(context.Background(), req, r.ev)
	return r, err
}

func readRows(t *testing.T, path string) []map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]json.RawMessage
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	return rows
}

func TestPromptsThroughOpenAI(t *testing.T) {
	srv := &completions{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir := t.TempDir()
	in := modelTarget(t)
	cfg := map[string]any{"target": "merge.support", "prompts": writePrompts(t, dir, 6, 2), "schema": schemaPath(t),
		"runner": map[string]any{"kind": "openai", "endpoint": hs.URL, "max_tokens": 64}}
	r, err := runPrompts(t, cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	want := "[SYSTEM_PROMPT]Answer in JSON.[/SYSTEM_PROMPT][INST]Ticket 0: I was charged twice. garbage[/INST]"
	if len(srv.prompts) != 6 || !contains(srv.prompts, want) {
		t.Fatalf("prompts sent %q; want the target's template rendered, raw, such as %q", srv.prompts, want)
	}
	rows := readRows(t, filepath.Join(r.out, jsoneval.PredictionsFile))
	if len(rows) != 6 {
		t.Fatalf("%d predictions for 6 prompts", len(rows))
	}
	for _, row := range rows {
		var run struct {
			Kind     string `json:"kind"`
			Settings struct {
				Temperature float64  `json:"temperature"`
				MaxTokens   int      `json:"max_tokens"`
				Stop        []string `json:"stop"`
			} `json:"settings"`
		}
		json.Unmarshal(row["runner"], &run)
		if string(row["target_digest"]) != `"`+in.Digest+`"` || run.Kind != "openai" || run.Settings.MaxTokens != 64 ||
			len(run.Settings.Stop) != 1 || run.Settings.Stop[0] != "</s>" {
			t.Errorf("row %s: target %s runner %s", row["id"], row["target_digest"], row["runner"])
		}
	}
	rep, err := jsoneval.ReadReport(r.out)
	if err != nil {
		t.Fatal(err)
	}
	g := rep.Generation
	if g == nil || !strings.HasPrefix(g.PromptsDigest, "sha256:") || g.Template != "rendered" || !g.BOSStripped || g.Bound || g.Answered != "" ||
		rep.Target != in.Digest || g.Runner.Served[0] != "support-7b" {
		t.Fatalf("generation %+v target %s", g, rep.Target)
	}
	if rep.Metrics.Total != 6 || rep.Metrics.Valid != 4 || rep.Metrics.Categories[jsoneval.CategoryNoJSONStart] != 2 || rep.Verdict != "pass" {
		t.Errorf("metrics %+v verdict %s", rep.Metrics, rep.Verdict)
	}
	cl := rep.Clusters
	if len(cl.ByInputTokens) != 1 || cl.ByInputTokens[0].Key != "0-63 tokens" || len(cl.ByTemplate) != 1 || cl.ByTemplate[0].Key != g.TemplateVersion {
		t.Errorf("clusters %+v", cl)
	}
	// A remote endpoint cannot prove it serves the target: require_bound fails the gate.
	cfg["require_bound"] = true
	r, err = runPrompts(t, cfg, in)
	if err != nil || r.md.Outputs["verdict"] != "fail" || codes(r.md, specv1.SeverityError) != jsoneval.CodeUnbound {
		t.Fatalf("require_bound: %v %+v", err, r.md)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestPromptsKeyNeverStored(t *testing.T) {
	const key = "sk-live-0c9d8e7f6a5b4c3d2e1f"
	t.Setenv("CKPT_EVAL_TEST_KEY", key)
	srv := &completions{key: key}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir := t.TempDir()
	cfg := map[string]any{"target": "merge.support", "prompts": writePrompts(t, dir, 3, 1),
		"runner": map[string]any{"kind": "openai", "endpoint": hs.URL, "api_key_env": "CKPT_EVAL_TEST_KEY"}}
	r, err := runPrompts(t, cfg, modelTarget(t))
	if err != nil {
		t.Fatal(err)
	}
	md, _ := json.Marshal(r.md)
	shown := string(md) + strings.Join(r.ev.logs, "\n")
	filepath.Walk(r.out, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			shown += string(b)
		}
		return nil
	})
	if strings.Contains(shown, key) || !strings.Contains(shown, "Ticket 0") {
		t.Fatalf("the API key appears in the artifact, metadata or logs")
	}
	srv.key = "another"
	_, err = runPrompts(t, cfg, modelTarget(t))
	if err == nil || strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("wrong key: err = %v", err)
	}
}

func TestPromptsBaselineOtherPrompts(t *testing.T) {
	hs := httptest.NewServer(&completions{})
	defer hs.Close()
	dir := t.TempDir()
	cfg := map[string]any{"target": "merge.support", "prompts": writePrompts(t, dir, 4, 0),
		"runner": map[string]any{"kind": "openai", "endpoint": hs.URL}}
	first, err := runPrompts(t, cfg, modelTarget(t))
	if err != nil {
		t.Fatal(err)
	}
	old, _ := jsoneval.ReadReport(first.out)
	cfg["prompts"], cfg["baseline"] = writePrompts(t, t.TempDir(), 5, 0), first.out
	_, err = runPrompts(t, cfg, modelTarget(t))
	if err == nil || !strings.Contains(err.Error(), old.Generation.PromptsDigest) || !strings.Contains(err.Error(), "different prompt sets") {
		t.Fatalf("err = %v; want both digests named", err)
	}
	// The same prompts compare: both task metric and validity are held.
	cfg["prompts"] = filepath.Join(dir, "prompts.jsonl")
	r, err := runPrompts(t, cfg, modelTarget(t))
	if err != nil || r.md.Outputs["verdict"] != "pass" {
		t.Fatalf("same prompts: %v %+v", err, r.md)
	}
	rep, _ := jsoneval.ReadReport(r.out)
	if rep.Baseline == nil || !rep.Baseline.Found || rep.Baseline.TaskMetric != jsoneval.MetricFieldAccuracy {
		t.Errorf("baseline %+v", rep.Baseline)
	}
}

func TestStaticPredictionsBinding(t *testing.T) {
	dir := t.TempDir()
	other := "sha256:" + strings.Repeat("b", 64)
	lines := map[string]string{
		"unstamped": `{"id":"a","output":"{}","target_digest":"` + target().Digest + `"}` + "\n" + `{"id":"b","output":"{}"}`,
		"other":     `{"id":"a","output":"{}","target_digest":"` + other + `"}`,
		"duplicate": `{"id":"a","output":"{}","target_digest":"` + target().Digest + `"}` + "\n\n" + `{"id":"a","output":"[]","target_digest":"` + target().Digest + `"}`,
	}
	want := map[string][]string{
		"unstamped": {"unstamped.jsonl:2: no target_digest", target().Digest},
		"other":     {"other.jsonl:1:", other, target().Digest},
		"duplicate": {`duplicate.jsonl:3: duplicate prediction id "a" (first on line 1)`},
	}
	for name, body := range lines {
		p := filepath.Join(dir, name+".jsonl")
		os.WriteFile(p, []byte(body+"\n"), 0o644)
		_, err := runStep(t, map[string]any{"target": "merge.support", "predictions": p}, dir)
		for _, w := range want[name] {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v; want %q", name, err, w)
			}
		}
	}
}

func TestHardCasesToDataset(t *testing.T) {
	hs := httptest.NewServer(&completions{})
	defer hs.Close()
	dir := t.TempDir()
	cfg := map[string]any{"target": "merge.support", "prompts": writePrompts(t, dir, 5, 5),
		"runner": map[string]any{"kind": "openai", "endpoint": hs.URL}}
	r, err := runPrompts(t, cfg, modelTarget(t))
	if err != nil {
		t.Fatal(err)
	}
	hard := readRows(t, filepath.Join(r.out, jsoneval.HardCasesFile))
	if len(hard) != 5 {
		t.Fatalf("%d hard cases for 5 garbage outputs", len(hard))
	}
	for _, h := range hard {
		if string(h["category"]) != `"no_json_start"` || string(h["offset"]) != "0" || len(h["messages"]) == 0 {
			t.Errorf("hard case %v", h)
		}
	}
	f, _ := os.Open(filepath.Join(r.out, jsoneval.HardCasesFile))
	defer f.Close()
	outPath := filepath.Join(dir, "retrain.jsonl")
	out, _ := os.Create(outPath)
	st, err := jsoneval.ToDataset(f, jsoneval.HardCasesFile, out)
	out.Close()
	if err != nil || st.Written != 5 {
		t.Fatalf("%+v, %v", st, err)
	}
	rep, err := chatdata.Check(context.Background(), []chatdata.Split{{Name: "train", Path: outPath}}, chatdata.Options{})
	if err != nil || !rep.OK() {
		t.Fatalf("check-data refuses the rows: %+v %v", rep, err)
	}
}
