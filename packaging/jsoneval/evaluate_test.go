package jsoneval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pred builds one predictions line.
func pred(id, output string, expected any, input string, tags ...string) string {
	m := map[string]any{"id": id, "output": output}
	if expected != nil {
		m["expected"] = expected
	}
	if input != "" {
		m["input"] = input
	}
	if tags != nil {
		m["tags"] = tags
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func ticket(cat string, prio int) map[string]any {
	return map[string]any{"category": cat, "priority": prio, "summary": "s"}
}

func ticketJSON(cat string, prio int) string {
	b, _ := json.Marshal(ticket(cat, prio))
	return string(b)
}

func writeLines(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "predictions.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runEval(t *testing.T, opts Options) *Report {
	t.Helper()
	if opts.Schema == nil {
		s, err := LoadSchema("testdata/ticket.schema.json")
		if err != nil {
			t.Fatal(err)
		}
		opts.Schema = s
	}
	if opts.OutputDir == "" {
		opts.OutputDir = t.TempDir()
	}
	rep, err := Evaluate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func readHardCases(t *testing.T, dir string) []HardCase {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, HardCasesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []HardCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var h HardCase
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			t.Fatalf("hard case line %q: %v", sc.Text(), err)
		}
		out = append(out, h)
	}
	return out
}

func ptr(f float64) *float64 { return &f }

func TestEvaluateMetricsAndHardCases(t *testing.T) {
	long := strings.Repeat("my invoice is wrong ", 30)
	path := writeLines(t,
		pred("a", ticketJSON("billing", 2), ticket("billing", 2), "refund please", "lang:en"),
		pred("b", ticketJSON("billing", 3), ticket("technical", 3), "app crashes", "lang:en"),
		pred("c", ticketJSON("billing", 2)+" hope this helps", ticket("billing", 2), long, "lang:fr"),
		"",
		pred("d", `{"category":"billing","priority":2`, ticket("billing", 2), long, "lang:fr", "channel:chat"),
		pred("e", "   ", nil, ""),
		pred("f", `{"category":"billing","priority":"2","summary":"s"}`, ticket("billing", 2), "x", "lang:en"),
	)
	dir := t.TempDir()
	rep := runEval(t, Options{Predictions: path, OutputDir: dir, SchemaName: "ticket.schema.json"})
	m := rep.Metrics
	if m.Total != 6 || m.Valid != 2 || m.Clean != 2 || m.Extracted != 0 {
		t.Fatalf("metrics %+v", m)
	}
	if m.ValidRate != 2.0/6 {
		t.Errorf("valid rate %v", m.ValidRate)
	}
	wantCats := map[Category]int{CategoryOK: 2, CategoryTrailing: 1, CategoryUnterminated: 1, CategoryNoJSONStart: 1, CategoryTypeMismatch: 1}
	for _, c := range Categories() {
		if m.Categories[c] != wantCats[c] {
			t.Errorf("%s = %d, want %d", c, m.Categories[c], wantCats[c])
		}
	}
	// 5 samples with expected, 3 fields each: a 3/3, b 2/3, c 0/3 (trailing text does not parse),
	// d 0/3, f 2/3 (parsed; priority is a string).
	if m.WithExpected != 5 || m.FieldAccuracy == nil || *m.FieldAccuracy != 7.0/15 {
		t.Errorf("field accuracy %v with %d", m.FieldAccuracy, m.WithExpected)
	}
	if fs := m.Fields["category"]; fs.Matched != 2 || fs.Total != 5 {
		t.Errorf("category field %+v", fs)
	}
	if rep.Verdict != VerdictPass || rep.HardCases != 5 {
		t.Errorf("verdict %s, hard cases %d", rep.Verdict, rep.HardCases)
	}
	hc := readHardCases(t, dir)
	var got []string
	for _, h := range hc {
		got = append(got, fmt.Sprintf("%s:%d:%s:%s", h.ID, h.Line, h.Reason, h.Category))
	}
	want := "c:3:failure:trailing_text d:5:failure:unterminated_json e:6:failure:no_json_start f:7:failure:type_mismatch b:2:low_field_accuracy:ok"
	if strings.Join(got, " ") != want {
		t.Errorf("hard cases\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if hc[0].Offset == nil || *hc[0].Offset != len(ticketJSON("billing", 2))+1 || hc[0].Output == "" || len(hc[0].Input) == 0 {
		t.Errorf("trailing hard case %+v", hc[0])
	}
	if hc[4].Mismatched[0] != "category" || *hc[4].FieldAccuracy != 2.0/3 {
		t.Errorf("low accuracy case %+v", hc[4])
	}
	cl := rep.Clusters
	if cl.Failures != 4 || cl.ByInputLength[0].Key != "512-2047" || cl.ByInputLength[0].Count != 2 {
		t.Errorf("length clusters %+v", cl.ByInputLength)
	}
	if cl.ByTag[0].Key != "lang:fr" || cl.ByTag[0].Count != 2 || cl.ByTag[0].Examples[0] != "c" {
		t.Errorf("tag clusters %+v", cl.ByTag)
	}
	if cl.ByCategory[0].Count != 1 || len(cl.ByCategory) != 4 {
		t.Errorf("category clusters %+v", cl.ByCategory)
	}
	back, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Metrics.Total != 6 || !strings.HasPrefix(back.PredictionsDigest, "sha256:") || back.Schema != "ticket.schema.json" {
		t.Errorf("report read back %+v", back)
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	path := writeLines(t, pred("a", ticketJSON("billing", 9), ticket("billing", 2), "x", "t1", "t2"), pred("b", "nope", nil, ""))
	var reports [2][]byte
	for i := range reports {
		dir := t.TempDir()
		runEval(t, Options{Predictions: path, OutputDir: dir})
		b, err := os.ReadFile(filepath.Join(dir, ReportFile))
		if err != nil {
			t.Fatal(err)
		}
		reports[i] = b
	}
	if string(reports[0]) != string(reports[1]) {
		t.Error("two runs wrote different reports")
	}
}

func TestGateThresholds(t *testing.T) {
	lines := []string{}
	for i := 0; i < 99; i++ {
		lines = append(lines, pred(fmt.Sprint(i), ticketJSON("billing", 2), ticket("billing", 2), "x"))
	}
	lines = append(lines, pred("trail", ticketJSON("billing", 2)+"\nThanks!", ticket("billing", 2), "x"))
	path := writeLines(t, lines...)
	tests := []struct {
		name  string
		th    Thresholds
		codes string
	}{
		{"all good", Thresholds{MinValid: ptr(0.99), MinFieldAccuracy: ptr(0.99)}, ""},
		{"min_valid missed", Thresholds{MinValid: ptr(0.995)}, CodeMinValid},
		{"max missed although valid rate is fine", Thresholds{MinValid: ptr(0.99), Max: map[Category]int{CategoryTrailing: 0}}, CodeMax},
		{"max held", Thresholds{Max: map[Category]int{CategoryTrailing: 1, CategoryInvalid: 0}}, ""},
		{"field accuracy missed", Thresholds{MinValid: ptr(0.9), MinFieldAccuracy: ptr(0.999)}, CodeMinFieldAccuracy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := runEval(t, Options{Predictions: path, Thresholds: tt.th})
			var codes []string
			for _, f := range rep.Failures {
				codes = append(codes, f.Code)
			}
			if strings.Join(codes, ",") != tt.codes {
				t.Fatalf("failures %v, want %s", rep.Failures, tt.codes)
			}
			if (tt.codes == "") != (rep.Verdict == VerdictPass) {
				t.Errorf("verdict %s", rep.Verdict)
			}
		})
	}
}

func TestGateFieldAccuracyWithoutExpected(t *testing.T) {
	path := writeLines(t, pred("a", ticketJSON("billing", 2), nil, ""))
	rep := runEval(t, Options{Predictions: path, Thresholds: Thresholds{MinFieldAccuracy: ptr(0.5)}})
	if rep.Verdict != VerdictFail || rep.Failures[0].Code != CodeMinFieldAccuracy {
		t.Fatalf("%+v", rep.Failures)
	}
}

// baselineRun builds 10 predictions: the first `valid` parse, the first
// `right` carry the right category; field accuracy is (2*valid+right)/30.
func baselineRun(t *testing.T, valid, right int) string {
	var lines []string
	for i := 0; i < 10; i++ {
		out := ticketJSON("technical", 2)
		if i < right {
			out = ticketJSON("billing", 2)
		}
		if i >= valid {
			out = out[:len(out)-1]
		}
		lines = append(lines, pred(fmt.Sprint(i), out, ticket("billing", 2), "x"))
	}
	return writeLines(t, lines...)
}

func TestBaselinePromotion(t *testing.T) {
	baseDir := t.TempDir()
	runEval(t, Options{Predictions: baselineRun(t, 9, 5), OutputDir: baseDir})
	base, err := ReadReport(filepath.Join(baseDir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		valid, right int
		codes        string
	}{
		{"holds", 9, 5, ""},
		{"improves both", 10, 6, ""},
		{"format holds, accuracy drops", 9, 3, CodeBaselineTask},
		{"format improves, accuracy drops", 10, 2, CodeBaselineTask},
		{"format drops, accuracy holds", 8, 8, CodeBaselineValidity},
		{"both drop", 8, 4, CodeBaselineTask + "," + CodeBaselineValidity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := runEval(t, Options{Predictions: baselineRun(t, tt.valid, tt.right), Baseline: base, BaselineSource: "old/eval-report.json",
				Thresholds: Thresholds{MinValid: ptr(0.5), MinFieldAccuracy: ptr(0.5)}})
			var codes []string
			for _, f := range rep.Failures {
				codes = append(codes, f.Code)
			}
			if strings.Join(codes, ",") != tt.codes {
				t.Fatalf("failures %+v, want %s", rep.Failures, tt.codes)
			}
			b := rep.Baseline
			if b == nil || !b.Found || b.TaskMetric != MetricFieldAccuracy || b.Pass != (tt.codes == "") {
				t.Fatalf("baseline %+v", b)
			}
			if b.Validity.Delta != float64(tt.valid-9)/10 && !near(b.Validity.Delta, float64(tt.valid-9)/10) {
				t.Errorf("validity delta %+v", b.Validity)
			}
			if b.Task.Baseline != *base.Metrics.FieldAccuracy || b.Task.Current != *rep.Metrics.FieldAccuracy {
				t.Errorf("task delta %+v", b.Task)
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

func TestBaselineValidRateWhenNoExpected(t *testing.T) {
	mk := func(valid int) string {
		var lines []string
		for i := 0; i < 4; i++ {
			out := ticketJSON("billing", 2)
			if i >= valid {
				out = "no"
			}
			lines = append(lines, pred(fmt.Sprint(i), out, nil, ""))
		}
		return writeLines(t, lines...)
	}
	base := runEval(t, Options{Predictions: mk(3)})
	rep := runEval(t, Options{Predictions: mk(2), Baseline: base, BaselineSource: "ledger:previous"})
	if rep.Baseline.TaskMetric != MetricValidRate || len(rep.Failures) != 1 || rep.Failures[0].Code != CodeBaselineValidity {
		t.Fatalf("%+v %+v", rep.Baseline, rep.Failures)
	}
}

func TestBaselineFirstBuild(t *testing.T) {
	rep := runEval(t, Options{Predictions: baselineRun(t, 9, 7), BaselineSource: "ledger:previous"})
	if rep.Verdict != VerdictPass || rep.Baseline == nil || rep.Baseline.Found || len(rep.Notes) != 1 {
		t.Fatalf("%+v %v", rep.Baseline, rep.Notes)
	}
}

func TestBaselineTolerance(t *testing.T) {
	base := runEval(t, Options{Predictions: baselineRun(t, 10, 8)})
	rep := runEval(t, Options{Predictions: baselineRun(t, 10, 5), Baseline: base, BaselineSource: "b",
		Thresholds: Thresholds{Tolerance: 0.05}})
	if rep.Verdict != VerdictFail {
		t.Error("drop of 0.1 passed a tolerance of 0.05")
	}
	rep = runEval(t, Options{Predictions: baselineRun(t, 10, 5), Baseline: base, BaselineSource: "b",
		Thresholds: Thresholds{Tolerance: 0.15}})
	if rep.Verdict != VerdictPass {
		t.Errorf("drop of 0.1 failed a tolerance of 0.15: %+v", rep.Failures)
	}
}

func TestEvaluateInputErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not json", pred("a", "{}", nil, "") + "\n{oops\n", "predictions.jsonl:2:"},
		{"no output", `{"id":"a"}`, `predictions.jsonl:1: no "output"`},
		{"output not a string", `{"id":"a","output":{"x":1}}`, "predictions.jsonl:1:"},
		{"empty file", "\n\n", "no predictions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "predictions.jsonl")
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Evaluate(context.Background(), Options{Predictions: p, OutputDir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	_, err := Evaluate(context.Background(), Options{Predictions: "/nonexistent/p.jsonl", OutputDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/p.jsonl") {
		t.Errorf("missing file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Evaluate(ctx, Options{Predictions: baselineRun(t, 1, 1), OutputDir: t.TempDir()}); err == nil {
		t.Error("cancelled context ignored")
	}
}

func TestReadReportErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"bad.json": "{", "v2.json": `{"version":2}`, "empty.json": `{"version":1}`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadReport(filepath.Join(dir, name)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ReadReport(filepath.Join(dir, "none.json")); err == nil {
		t.Error("missing report read")
	}
}

func TestEvaluateCountsExtractedApart(t *testing.T) {
	fence := "```json\n" + ticketJSON("billing", 2) + "\n```"
	path := writeLines(t,
		pred("clean", ticketJSON("billing", 2), ticket("billing", 2), ""),
		pred("fenced", fence, ticket("billing", 2), ""),
		pred("prose", "Here: "+ticketJSON("billing", 2), ticket("billing", 2), ""))
	strict := runEval(t, Options{Predictions: path})
	if strict.Metrics.Valid != 1 || strict.Metrics.Categories[CategoryNoJSONStart] != 2 {
		t.Fatalf("strict %+v", strict.Metrics)
	}
	fenced := runEval(t, Options{Predictions: path, Extract: ExtractFenced})
	if m := fenced.Metrics; m.Valid != 2 || m.Clean != 1 || m.Extracted != 1 || fenced.Extract != ExtractFenced {
		t.Fatalf("fenced %+v", m)
	}
	first := runEval(t, Options{Predictions: path, Extract: ExtractFirstObject})
	if m := first.Metrics; m.Valid != 3 || m.Clean != 1 || m.Extracted != 2 || *m.FieldAccuracy != 1 {
		t.Fatalf("first_object %+v", m)
	}
}
