package evalset_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/synth/evalset"
)

func TestWritePlantsEveryCategory(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	planted, err := evalset.Write(&buf, evalset.Options{N: 40, Seed: 7, Defects: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(planted) != len(evalset.Defects()) {
		t.Fatalf("planted %d defects", len(planted))
	}
	pp := filepath.Join(dir, "predictions.jsonl")
	sp := filepath.Join(dir, "ticket.schema.json")
	if err := os.WriteFile(pp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sp, []byte(evalset.TicketSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := jsoneval.LoadSchema(sp)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := jsoneval.Evaluate(context.Background(), jsoneval.Options{Predictions: pp, Schema: s, OutputDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range jsoneval.Categories()[1:] {
		want := 1
		if c == jsoneval.CategoryNoJSONStart {
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
	byLine := map[int]jsoneval.HardCase{}
	for _, h := range hc {
		byLine[h.Line] = h
	}
	for _, p := range planted {
		h, ok := byLine[p.Line]
		switch {
		case !ok:
			t.Errorf("planted %s at line %d is not a hard case", p.Defect, p.Line)
		case p.Defect == evalset.DefectFenced && h.Category != jsoneval.CategoryNoJSONStart,
			p.Defect == evalset.DefectWrongField && (h.Category != jsoneval.CategoryOK || h.Reason != jsoneval.ReasonLowFieldAccuracy),
			p.Defect != evalset.DefectFenced && p.Defect != evalset.DefectWrongField && string(h.Category) != p.Defect:
			t.Errorf("planted %s at line %d classified %s (%s)", p.Defect, p.Line, h.Category, h.Reason)
		}
	}
	fenced := jsoneval.NewClassifier(s, jsoneval.ExtractFenced)
	for _, p := range planted {
		if p.Defect == evalset.DefectFenced {
			h := byLine[p.Line]
			if r := fenced.Classify(h.Output); r.Category != jsoneval.CategoryOK || !r.Extracted {
				t.Errorf("fenced output with extract=fenced: %s", r.Category)
			}
		}
	}
}

func TestWriteDeterministicAndClean(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := evalset.Write(&a, evalset.Options{N: 25, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := evalset.Write(&b, evalset.Options{N: 25, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() || strings.Count(a.String(), "\n") != 25 {
		t.Fatal("same seed, different output")
	}
	var c bytes.Buffer
	if _, err := evalset.Write(&c, evalset.Options{N: 25, Seed: 4}); err != nil || c.String() == a.String() {
		t.Fatal("another seed, same output")
	}
}

func TestWriteErrors(t *testing.T) {
	var buf bytes.Buffer
	if _, err := evalset.Write(&buf, evalset.Options{N: 5, Defects: []string{"bogus"}}); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown defect: %v", err)
	}
	if _, err := evalset.Write(&buf, evalset.Options{N: 3, Defects: []string{"all"}}); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Errorf("too few samples: %v", err)
	}
	if _, err := evalset.Write(&buf, evalset.Options{N: 0}); err == nil {
		t.Error("n = 0 accepted")
	}
}

func readHardCases(t *testing.T, dir string) []jsoneval.HardCase {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, jsoneval.HardCasesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []jsoneval.HardCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var h jsoneval.HardCase
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			t.Fatalf("hard case line %q: %v", sc.Text(), err)
		}
		out = append(out, h)
	}
	return out
}
