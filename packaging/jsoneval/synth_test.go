package jsoneval

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSynthPredictionsPlantsEveryCategory(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	planted, err := SynthPredictions(&buf, SynthOptions{N: 40, Seed: 7, Defects: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(planted) != len(SynthDefects()) {
		t.Fatalf("planted %d defects", len(planted))
	}
	pp := filepath.Join(dir, "predictions.jsonl")
	sp := filepath.Join(dir, "ticket.schema.json")
	if err := os.WriteFile(pp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sp, []byte(TicketSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSchema(sp)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), Options{Predictions: pp, Schema: s, OutputDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Categories()[1:] {
		want := 1
		if c == CategoryNoJSONStart {
			want = 2 // no_json_start and fenced
		}
		if got := rep.Metrics.Categories[c]; got != want {
			t.Errorf("%s = %d, want %d", c, got, want)
		}
	}
	if rep.Metrics.Valid != 40-9 || *rep.Metrics.FieldAccuracy >= 1 {
		t.Errorf("metrics %+v", rep.Metrics)
	}
	hc := readHardCases(t, dir)
	byLine := map[int]HardCase{}
	for _, h := range hc {
		byLine[h.Line] = h
	}
	for _, p := range planted {
		h, ok := byLine[p.Line]
		switch {
		case !ok:
			t.Errorf("planted %s at line %d is not a hard case", p.Defect, p.Line)
		case p.Defect == DefectFenced && h.Category != CategoryNoJSONStart,
			p.Defect == DefectWrongField && (h.Category != CategoryOK || h.Reason != ReasonLowFieldAccuracy),
			p.Defect != DefectFenced && p.Defect != DefectWrongField && string(h.Category) != p.Defect:
			t.Errorf("planted %s at line %d classified %s (%s)", p.Defect, p.Line, h.Category, h.Reason)
		}
	}
	fenced := NewClassifier(s, ExtractFenced)
	for _, p := range planted {
		if p.Defect == DefectFenced {
			h := byLine[p.Line]
			if r := fenced.Classify(h.Output); r.Category != CategoryOK || !r.Extracted {
				t.Errorf("fenced output with extract=fenced: %s", r.Category)
			}
		}
	}
}

func TestSynthPredictionsDeterministicAndClean(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := SynthPredictions(&a, SynthOptions{N: 25, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := SynthPredictions(&b, SynthOptions{N: 25, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() || strings.Count(a.String(), "\n") != 25 {
		t.Fatal("same seed, different output")
	}
	var c bytes.Buffer
	if _, err := SynthPredictions(&c, SynthOptions{N: 25, Seed: 4}); err != nil || c.String() == a.String() {
		t.Fatal("another seed, same output")
	}
}

func TestSynthPredictionsErrors(t *testing.T) {
	var buf bytes.Buffer
	if _, err := SynthPredictions(&buf, SynthOptions{N: 5, Defects: []string{"bogus"}}); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown defect: %v", err)
	}
	if _, err := SynthPredictions(&buf, SynthOptions{N: 3, Defects: []string{"all"}}); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Errorf("too few samples: %v", err)
	}
	if _, err := SynthPredictions(&buf, SynthOptions{N: 0}); err == nil {
		t.Error("n = 0 accepted")
	}
}
