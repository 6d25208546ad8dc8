package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
)

// runSynthEval runs one of the synth eval subcommands on its own, so the
// test does not depend on how ckpt synth assembles them.
func runSynthEval(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	for _, c := range newSynthEvalCmds(&IO{Out: &out, Err: &out}) {
		if c.Name() == args[0] {
			c.SetArgs(args[1:])
			c.SetOut(&out)
			c.SetErr(&out)
			c.SilenceUsage, c.SilenceErrors = true, true
			err := c.ExecuteContext(context.Background())
			return out.String(), err
		}
	}
	t.Fatalf("no subcommand %s", args[0])
	return "", nil
}

func TestSynthPredictionsCmd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "evals")
	out, err := runSynthEval(t, "predictions", dir, "--n", "50", "--seed", "3", "--defects", "trailing_text,range_violation")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "trailing_text") != 1 || strings.Count(out, "range_violation") != 1 {
		t.Errorf("output %s", out)
	}
	s, err := jsoneval.LoadSchema(filepath.Join(dir, "ticket.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := jsoneval.Evaluate(context.Background(), jsoneval.Options{Predictions: filepath.Join(dir, "predictions.jsonl"), Schema: s, OutputDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Metrics
	if m.Total != 50 || m.Valid != 48 || m.Categories[jsoneval.CategoryTrailing] != 1 || m.Categories[jsoneval.CategoryRange] != 1 {
		t.Errorf("metrics %+v", m)
	}
	if _, err := runSynthEval(t, "predictions", dir, "--defects", "nope"); err == nil || !isUsageError(err) {
		t.Errorf("unknown defect: %v", err)
	}
	if _, err := runSynthEval(t, "predictions"); err == nil || !isUsageError(err) {
		t.Errorf("no OUT: %v", err)
	}
}

func TestSynthDatasetThenCheckData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, err := runSynthEval(t, "dataset", dir, "--n", "40", "--defects", "all")
	if err != nil {
		t.Fatal(err)
	}
	code, report, _ := runCheckDataCLI(t, "check-data", filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "validation.jsonl"))
	if code != 1 {
		t.Fatalf("check-data exit %d", code)
	}
	// Every planted defect line ("  train.jsonl:12  chat.bad_role") is reported.
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(l)
		if want := f[0] + ": "; !strings.Contains(report, want) || !strings.Contains(report, f[1]) {
			t.Errorf("check-data lacks %s %s:\n%s", f[0], f[1], report)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "validation.jsonl")); err != nil {
		t.Error(err)
	}
}

func TestSynthEvalUnwritableOut(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"predictions", "dataset"} {
		if _, err := runSynthEval(t, sub, filepath.Join(file, "out"), "--n", "20"); err == nil || !strings.Contains(err.Error(), "file") {
			t.Errorf("%s into a file: %v", sub, err)
		}
	}
}
