package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/plugins/plugintest"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type events struct{ logs []string }

func (e *events) Log(msg string)                { e.logs = append(e.logs, msg) }
func (e *events) Progress(int64, int64, string) {}
func (e *events) Diagnostic(specv1.Diagnostic)  {}

func comp() sdk.Component { return Components()[0] }

// writePredictions writes 10 predictions into dir: the first `valid` parse,
// the first `right` have the right category (field accuracy (2v+r)/30).
func writePredictions(t *testing.T, dir string, valid, right int) string {
	t.Helper()
	var sb strings.Builder
	for i := 0; i < 10; i++ {
		cat := "technical"
		if i < right {
			cat = "billing"
		}
		out := fmt.Sprintf(`{"category":%q,"priority":2,"summary":"Refund"}`, cat)
		if i >= valid {
			out += " Hope this helps!"
		}
		line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("t%d", i), "output": out, "input": "I was charged twice", "target_digest": target().Digest,
			"expected": map[string]any{"category": "billing", "priority": 2, "summary": "Refund"}, "tags": []string{"billing"}})
		sb.Write(line)
		sb.WriteByte('\n')
	}
	p := filepath.Join(dir, "predictions.jsonl")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func schemaPath(t *testing.T) string {
	p, err := filepath.Abs("testdata/ticket.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func target() specv1.Input {
	return specv1.Input{Step: "merge.support", Attr: "target", Digest: "sha256:" + strings.Repeat("a", 64),
		Metadata: specv1.Metadata{Kind: "merge", ID: "support-7b", License: "Apache-2.0", Notices: []string{"Mistral notice"},
			Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-7b-instruct-v0.3", License: "Apache-2.0", Step: "model.base"}}}}
}

type run struct {
	md  *specv1.Metadata
	out string
	ev  *events
}

func runStep(t *testing.T, cfg map[string]any, specDir string, inputs ...specv1.Input) (run, error) {
	t.Helper()
	b, _ := json.Marshal(cfg)
	r := run{out: t.TempDir(), ev: &events{}}
	req := &specv1.RunRequest{Kind: "eval", Type: "json", Step: "eval.format", Config: b,
		Inputs: append([]specv1.Input{target()}, inputs...), OutputDir: r.out, ScratchDir: t.TempDir(), SpecDir: specDir}
	var err error
	r.md, err = comp().Run(context.Background(), req, r.ev)
	return r, err
}

func mustRun(t *testing.T, cfg map[string]any, specDir string, inputs ...specv1.Input) run {
	t.Helper()
	r, err := runStep(t, cfg, specDir, inputs...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func codes(md *specv1.Metadata, severity string) string {
	var cs []string
	for _, f := range md.Findings {
		if f.Severity == severity {
			cs = append(cs, f.Code)
		}
	}
	return strings.Join(cs, ",")
}

func TestRunPasses(t *testing.T) {
	dir := t.TempDir()
	r := mustRun(t, map[string]any{"target": "merge.support", "predictions": writePredictions(t, dir, 10, 10),
		"schema": schemaPath(t), "min_valid": 0.99, "min_field_accuracy": 1}, dir)
	md := r.md
	if md.Kind != "eval" || len(md.Findings) != 0 || md.Outputs["verdict"] != "pass" || md.Outputs["valid_rate"] != "1" {
		t.Fatalf("metadata %+v", md)
	}
	if md.License != "Apache-2.0" || len(md.Lineage) != 1 || md.Notices[0] != "Mistral notice" {
		t.Errorf("target's license, lineage, notices not carried: %+v", md)
	}
	var extra Extra
	if err := json.Unmarshal(md.Extra, &extra); err != nil || extra.Metrics.Total != 10 || *extra.Metrics.FieldAccuracy != 1 {
		t.Errorf("extra %s: %v", md.Extra, err)
	}
	rep, err := jsoneval.ReadReport(r.out)
	if err != nil || rep.Verdict != "pass" || rep.Schema != "ticket.schema.json" {
		t.Fatalf("report %+v: %v", rep, err)
	}
	if _, err := os.Stat(filepath.Join(r.out, jsoneval.HardCasesFile)); err != nil {
		t.Error(err)
	}
	if !strings.Contains(strings.Join(r.ev.logs, "\n"), "verdict: pass") {
		t.Errorf("logs %q", r.ev.logs)
	}
}

func TestRunGateFails(t *testing.T) {
	dir := t.TempDir()
	r := mustRun(t, map[string]any{"target": "merge.support", "predictions": writePredictions(t, dir, 9, 9),
		"schema": schemaPath(t), "min_valid": 0.8, "max": map[string]any{"trailing_text": 0}}, dir)
	if codes(r.md, specv1.SeverityError) != jsoneval.CodeMax || r.md.Outputs["verdict"] != "fail" {
		t.Fatalf("findings %+v", r.md.Findings)
	}
	f := r.md.Findings[0]
	if f.Path != "max.trailing_text" || f.File != jsoneval.ReportFile || !strings.Contains(f.Message, "1 outputs are trailing_text") {
		t.Errorf("finding %+v", f)
	}
	lines, _ := os.ReadFile(filepath.Join(r.out, jsoneval.HardCasesFile))
	if !strings.Contains(string(lines), `"category":"trailing_text"`) {
		t.Errorf("hard cases %s", lines)
	}
}

// TestLedgerBaseline chains real runs: the first run's artifact folder is
// the baseline input of the next, as the run engine hands it.
func TestLedgerBaseline(t *testing.T) {
	dir := t.TempDir()
	cfg := func(valid, right int) map[string]any {
		return map[string]any{"target": "merge.support", "predictions": writePredictions(t, t.TempDir(), valid, right),
			"schema": schemaPath(t), "min_valid": 0.5, "baseline": LedgerPrevious}
	}
	first := mustRun(t, cfg(9, 5), dir)
	if codes(first.md, specv1.SeverityError) != "" || codes(first.md, specv1.SeverityWarning) != CodeNoBaseline {
		t.Fatalf("first build: %+v", first.md.Findings)
	}
	prev := specv1.Input{Step: "eval.format", Attr: BaselineAttr, Dir: first.out, Digest: "sha256:" + strings.Repeat("b", 64)}
	tests := []struct {
		name         string
		valid, right int
		want         string
	}{
		{"holds", 9, 5, ""},
		{"passes format, loses field accuracy", 10, 2, jsoneval.CodeBaselineTask},
		{"loses format, holds field accuracy", 8, 8, jsoneval.CodeBaselineValidity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRun(t, cfg(tt.valid, tt.right), dir, prev)
			if got := codes(r.md, specv1.SeverityError); got != tt.want {
				t.Fatalf("findings %+v, want %s", r.md.Findings, tt.want)
			}
			rep, err := jsoneval.ReadReport(r.out)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Baseline == nil || !rep.Baseline.Found || rep.Baseline.Task == nil || !strings.Contains(rep.Baseline.Source, prev.Digest) {
				t.Fatalf("baseline %+v", rep.Baseline)
			}
			if tt.want == "" && rep.Metrics.ValidRate < 0.9 {
				t.Error("wrong run")
			}
		})
	}
}

func TestBaselinePath(t *testing.T) {
	specDir := t.TempDir()
	base := mustRun(t, map[string]any{"target": "merge.support", "predictions": writePredictions(t, specDir, 10, 10), "schema": schemaPath(t)}, specDir)
	b, _ := os.ReadFile(filepath.Join(base.out, jsoneval.ReportFile))
	if err := os.MkdirAll(filepath.Join(specDir, "evals"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(specDir, "evals", "last.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, map[string]any{"target": "merge.support", "predictions": writePredictions(t, t.TempDir(), 10, 9),
		"schema": schemaPath(t), "baseline": "evals/last.json"}, specDir)
	if codes(r.md, specv1.SeverityError) != jsoneval.CodeBaselineTask {
		t.Fatalf("findings %+v", r.md.Findings)
	}
	_, err := runStep(t, map[string]any{"target": "merge.support", "predictions": writePredictions(t, t.TempDir(), 10, 9),
		"baseline": "evals/missing.json"}, specDir)
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing baseline: %v", err)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	preds := writePredictions(t, dir, 10, 10)
	bad := filepath.Join(dir, "bad.schema.json")
	if err := os.WriteFile(bad, []byte(`{"type": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	badBase := filepath.Join(dir, "base")
	if err := os.MkdirAll(badBase, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cfg    map[string]any
		inputs []specv1.Input
		want   string
	}{
		{"missing predictions", map[string]any{"target": "m", "predictions": filepath.Join(dir, "none.jsonl")}, nil, "none.jsonl"},
		{"bad schema", map[string]any{"target": "m", "predictions": preds, "schema": bad}, nil, "bad.schema.json"},
		{"bad config", map[string]any{"target": "m", "predictions": preds, "extract": "regex"}, nil, "extract"},
		{"baseline artifact without report", map[string]any{"target": "m", "predictions": preds, "baseline": LedgerPrevious},
			[]specv1.Input{{Step: "eval.format", Attr: BaselineAttr, Dir: badBase, Digest: "sha256:cc"}}, "eval-report.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runStep(t, tt.cfg, dir, tt.inputs...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		cfg  string
		path string
	}{
		{`{}`, "target"},
		{`{"target":"m"}`, "prompts"},
		{`{"target":"m","prompts":"p"}`, "runner"},
		{`{"target":"m","prompts":"p","predictions":"q","runner":{"kind":"ollama"}}`, "predictions"},
		{`{"target":"m","predictions":"q","runner":{"kind":"ollama"}}`, "runner"},
		{`{"target":"m","prompts":"p","runner":{"kind":"vllm"}}`, "runner.kind"},
		{`{"target":"m","prompts":"p","runner":{"kind":"openai"}}`, "runner.endpoint"},
		{`{"target":"m","prompts":"p","runner":{"kind":"ollama","endpoint":"http://x"}}`, "runner.kind"},
		{`{"target":"m","prompts":"p","runner":{"kind":"openai","endpoint":"http://x","timeout":"5 minutes"}}`, "runner.timeout"},
		{`{"target":"m","prompts":"p","runner":{"kind":"openai","endpoint":"http://x"},"template":"jinja"}`, "template"},
		{`{"target":"m","prompts":"p","runner":"ollama"}`, "runner"},
		{`{"target":"m","prompts":"p","runner":{"kind":"openai","endpont":"http://x"}}`, "runner"},
		{`{"target":"m","prompts":"p","runner":{"kind":"openai","endpoint":"http://x","api_key":"sk-1"}}`, "runner"},
		{`{"target":"m","predictions":"p","extract":"all"}`, "extract"},
		{`{"target":"m","predictions":"p","min_valid":1.5}`, "min_valid"},
		{`{"target":"m","predictions":"p","min_field_accuracy":-0.1}`, "min_field_accuracy"},
		{`{"target":"m","predictions":"p","max":{"ok":1}}`, "max.ok"},
		{`{"target":"m","predictions":"p","max":{"trailing":1}}`, "max.trailing"},
		{`{"target":"m","predictions":"p","max":{"trailing_text":0.5}}`, "max.trailing_text"},
		{`{"target":"m","predictions":"p","baseline":"ledger:latest"}`, "baseline"},
		{`{"target":"m","predictions":"p","worst":-1}`, "worst"},
		{`{"target":"m","predictions":"p","tolerance":2}`, "tolerance"},
		{`[1]`, ""},
	}
	for _, tt := range tests {
		ds := comp().Validate(context.Background(), &specv1.ValidateRequest{Kind: "eval", Type: "json", Config: json.RawMessage(tt.cfg)})
		if len(ds) == 0 || ds[0].Severity != specv1.SeverityError || strings.Join(ds[0].Path, ".") != tt.path {
			t.Errorf("%s: %+v, want an error at %q", tt.cfg, ds, tt.path)
		}
	}
	ok := `{"target":"m","predictions":"p","extract":"fenced","min_valid":0.99,"max":{"trailing_text":0,"invalid_json":3},"baseline":"ledger:previous","worst":5}`
	if ds := comp().Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(ok)}); len(ds) != 0 {
		t.Errorf("valid config: %+v", ds)
	}
}

func TestConformance(t *testing.T) {
	schema := schemaPath(t)
	plugintest.Run(t, &sdk.Plugin{Name: "builtin", Version: "test", Components: Components()}, plugintest.Case{
		Component: "eval.json",
		Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			cfg, _ := json.Marshal(map[string]any{"target": "merge.support", "predictions": writePredictions(t, dir, 9, 7),
				"schema": schema, "min_valid": 0.95})
			in := target()
			in.Dir = filepath.Join(dir, "target")
			if err := os.MkdirAll(in.Dir, 0o755); err != nil {
				t.Fatal(err)
			}
			return cfg, []specv1.Input{in}
		},
	})
}

// TestQuickstartEvals runs the quickstart's predictions and schema through
// the gate the quickstart spec sets (min_valid = 0.99).
func TestQuickstartEvals(t *testing.T) {
	dir, err := filepath.Abs("../../examples/quickstart/evals")
	if err != nil {
		t.Fatal(err)
	}
	// The example's outputs were produced elsewhere: restamped with this
	// target's digest, as ckpt eval stamp --replace does.
	in, err := os.Open(filepath.Join(dir, "predictions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	stamped := filepath.Join(t.TempDir(), "predictions.jsonl")
	out, _ := os.Create(stamped)
	if _, err := jsoneval.Restamp(in, "predictions.jsonl", target().Digest, out); err != nil {
		t.Fatal(err)
	}
	out.Close()
	r := mustRun(t, map[string]any{"target": "merge.support", "predictions": stamped,
		"schema": filepath.Join(dir, "ticket.schema.json"), "min_valid": 0.99}, filepath.Dir(dir))
	if codes(r.md, specv1.SeverityError) != "" || r.md.Outputs["verdict"] != "pass" {
		t.Fatalf("quickstart evals fail the gate: %+v", r.md.Findings)
	}
	var extra Extra
	if err := json.Unmarshal(r.md.Extra, &extra); err != nil || extra.Metrics.Total < 50 || extra.Metrics.FieldAccuracy == nil {
		t.Fatalf("extra %s: %v", r.md.Extra, err)
	}
}
