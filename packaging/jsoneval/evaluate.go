package jsoneval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// DefaultWorst is how many low field-accuracy samples go to the hard cases.
const DefaultWorst = 20

// Options configure Evaluate. The zero value of each field is its default.
type Options struct {
	// Predictions is the path of the predictions JSONL file (required).
	Predictions string
	// Schema is the compiled schema (nil: syntax only); SchemaName is the
	// name the report shows for it.
	Schema     *jsonschema.Schema
	SchemaName string
	Extract    Extract
	Thresholds Thresholds
	// Baseline is the earlier report to hold against; nil with a
	// BaselineSource set means none was found (a first build).
	Baseline       *Report
	BaselineSource string
	// OutputDir receives eval-report.json and hard-cases.jsonl (required).
	OutputDir string
	// Worst is how many low field-accuracy samples to keep (0: DefaultWorst,
	// negative: none).
	Worst int
	// Progress, when set, is called with the number of predictions done.
	Progress func(done int64)
	// Target, when set, is the digest every prediction must carry.
	Target string
	// Generation describes how the predictions were produced (Generate).
	Generation *Generation
	// RequireBound fails the gate unless Generation is bound to the
	// target's files.
	RequireBound bool
}

// Evaluate classifies every prediction, applies the gate and writes the
// report and the hard cases into opts.OutputDir. A missed threshold is not
// an error: it is in Report.Failures and Report.Verdict is "fail".
func Evaluate(ctx context.Context, opts Options) (*Report, error) {
	if err := samePrompts(opts); err != nil {
		return nil, err
	}
	f, err := os.Open(opts.Predictions)
	if err != nil {
		return nil, fmt.Errorf("predictions: %w", err)
	}
	defer f.Close()
	out, err := os.Create(filepath.Join(opts.OutputDir, HardCasesFile))
	if err != nil {
		return nil, fmt.Errorf("hard cases: %w", err)
	}
	defer out.Close()
	h := sha256.New()
	rep, err := evaluate(ctx, opts, io.TeeReader(f, h), out)
	if err != nil {
		return nil, err
	}
	if err := out.Close(); err != nil {
		return nil, fmt.Errorf("hard cases: %w", err)
	}
	rep.PredictionsDigest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	if err := writeJSON(filepath.Join(opts.OutputDir, ReportFile), rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func evaluate(ctx context.Context, opts Options, in io.Reader, hardOut io.Writer) (*Report, error) {
	name := filepath.Base(opts.Predictions)
	worst := opts.Worst
	if worst == 0 {
		worst = DefaultWorst
	}
	cl := NewClassifier(opts.Schema, opts.Extract)
	pr := NewPredictionReader(in, name)
	t, g, hw := newTally(), newGrouper(), newHardCaseWriter(hardOut, worst)
	b := newBinder(name, opts.Target)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := pr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			err = b.check(p)
		}
		if err != nil {
			return nil, err
		}
		if err := evalOne(cl, p, name, t, g, hw); err != nil {
			return nil, err
		}
		if opts.Progress != nil && t.m.Total%1000 == 0 {
			opts.Progress(int64(t.m.Total))
		}
	}
	if t.m.Total == 0 {
		return nil, fmt.Errorf("%s: no predictions", name)
	}
	if err := hw.close(); err != nil {
		return nil, err
	}
	rep := &Report{Version: ReportVersion, Predictions: name, Schema: opts.SchemaName,
		Extract: cl.extract, Metrics: t.metrics(), Thresholds: opts.Thresholds,
		Clusters: g.clusters(), HardCases: hw.n, Target: opts.Target, Generation: opts.Generation}
	gate(rep, opts)
	return rep, nil
}

func evalOne(cl *Classifier, p *Prediction, name string, t *tally, g *grouper, hw *hardCaseWriter) error {
	r := cl.Classify(p.Output)
	var score *FieldScore
	if p.Expected != nil {
		want, err := decodeExpected(p.Expected)
		if err != nil {
			return fmt.Errorf("%s:%d: expected: %w", name, p.Line, err)
		}
		s := scoreFields(r.Value, want)
		score = &s
	}
	t.add(r, score)
	if r.Category != CategoryOK {
		g.add(p, r.Category)
		return hw.failure(newHardCase(p, r, score, ReasonFailure))
	}
	if score != nil && score.Matched < score.Total {
		hw.lowAccuracy(newHardCase(p, r, score, ReasonLowFieldAccuracy))
	}
	return nil
}

// samePrompts refuses a baseline measured on another prompt set.
func samePrompts(opts Options) error {
	if opts.Baseline == nil {
		return nil
	}
	cur, base := promptsDigest(opts.Generation), promptsDigest(opts.Baseline.Generation)
	if cur != base {
		return fmt.Errorf("baseline %s was measured on prompts %s, this run on %s: runs on different prompt sets are not comparable (name a report measured on these prompts, or drop baseline for one build)",
			opts.BaselineSource, orNone(base), orNone(cur))
	}
	return nil
}

func promptsDigest(g *Generation) string {
	if g == nil {
		return ""
	}
	return g.PromptsDigest
}

func orNone(d string) string {
	if d == "" {
		return "(none: static predictions)"
	}
	return d
}

// gate applies the thresholds and the baseline and sets the verdict.
func gate(rep *Report, opts Options) {
	rep.Failures = opts.Thresholds.Check(rep.Metrics)
	switch {
	case opts.Baseline != nil:
		res, fails := CompareBaseline(rep.Metrics, opts.Baseline.Metrics, opts.Thresholds.Tolerance, opts.BaselineSource)
		rep.Baseline = &res
		rep.Failures = append(rep.Failures, fails...)
		if res.TaskMetric == MetricValidRate && rep.Metrics.FieldAccuracy != nil {
			rep.Notes = append(rep.Notes, "the baseline has no field accuracy: compared on valid rate")
		}
	case opts.BaselineSource != "":
		rep.Baseline = &BaselineResult{Source: opts.BaselineSource, Pass: true}
		rep.Notes = append(rep.Notes, "no baseline report yet ("+opts.BaselineSource+"): first build, the baseline check passes")
	}
	if g := opts.Generation; opts.RequireBound && g != nil && !g.Bound {
		rep.Failures = append(rep.Failures, GateFailure{Code: CodeUnbound, Path: "require_bound",
			Message: fmt.Sprintf("the outputs come from %s %s, which ckpt cannot prove serves the target's files (require_bound)", g.Runner.Kind, g.Runner.Endpoint)})
	}
	rep.Verdict = VerdictPass
	if len(rep.Failures) > 0 {
		rep.Verdict = VerdictFail
	}
}
