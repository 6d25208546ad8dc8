package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// CodeNoBaseline is the warning of a first build that has no baseline yet.
const CodeNoBaseline = "eval.baseline.none"

type component struct{ desc specv1.Component }

func (c component) Describe() specv1.Component { return c.desc }

func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	_, ds := parse(req.Config)
	return ds
}

// Extra is the Metadata.Extra of an eval artifact.
type Extra struct {
	Verdict  string                   `json:"verdict"`
	Metrics  jsoneval.Metrics         `json:"metrics"`
	Baseline *jsoneval.BaselineResult `json:"baseline,omitempty"`
}

func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, ds := parse(req.Config)
	if len(ds) > 0 {
		return nil, errors.New(ds[0].Summary)
	}
	opts, err := options(req, cfg)
	if err != nil {
		return nil, err
	}
	opts.Progress = func(n int64) { ev.Progress(n, 0, "samples") }
	rep, err := evaluate(ctx, req, cfg, opts, ev)
	if err != nil {
		return nil, err
	}
	logReport(ev, rep)
	return metadata(req, rep)
}

// evaluate runs the target on the prompts, or reads static predictions;
// either way every prediction must carry the target's digest.
func evaluate(ctx context.Context, req *specv1.RunRequest, cfg *config, opts jsoneval.Options, ev sdk.Events) (*jsoneval.Report, error) {
	ts := req.InputsFor("target")
	if len(ts) == 0 {
		return nil, errors.New("no target input")
	}
	opts.Target = ts[0].Digest
	if cfg.PredictionsFrom != "" {
		return fromRunner(ctx, req, cfg, opts, ev)
	}
	if cfg.Prompts == "" {
		return jsoneval.Evaluate(ctx, opts)
	}
	opts.RequireBound = cfg.requireBound(nil)
	progress := func(done, total int) { ev.Progress(int64(done), int64(total), "prompts") }
	rep, err := jsoneval.RunPrompts(ctx, jsoneval.PrepareOptions{Prompts: cfg.Prompts, Target: ts[0].Dir, Digest: ts[0].Digest,
		Runner: *cfg.Runner, Template: cfg.Template, Scratch: req.ScratchDir, Progress: progress}, opts)
	if err == nil {
		info := rep.Generation.Runner
		ev.Log(fmt.Sprintf("runner %s %s, model %s, bound %t", info.Kind, info.Endpoint, info.Model, info.Bound))
	}
	return rep, err
}

// fromRunner scores a runner step's predictions: its generation must have
// answered for the eval's own target, and every row carries its digest.
func fromRunner(ctx context.Context, req *specv1.RunRequest, cfg *config, opts jsoneval.Options, ev sdk.Events) (*jsoneval.Report, error) {
	ins := req.InputsFor("predictions_from")
	if len(ins) == 0 {
		return nil, errors.New("no predictions_from input")
	}
	in := ins[0]
	g, err := jsoneval.ReadGeneration(in.Dir)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", in.Step, in.Digest, err)
	}
	if g.Target != opts.Target {
		return nil, fmt.Errorf("%s answered for %s, not for the eval's target %s: point both at the same step", in.Step, g.Target, opts.Target)
	}
	opts.Predictions, opts.Generation, opts.RequireBound = filepath.Join(in.Dir, jsoneval.PredictionsFile), g, cfg.requireBound(g)
	ev.Log(fmt.Sprintf("predictions of %s: runner %s %s, model %s, bound %t", in.Step, g.Runner.Kind, g.Runner.Endpoint, g.Runner.Model, g.Bound))
	return jsoneval.Evaluate(ctx, opts)
}

// options builds the evaluation options: schema, extraction, gate, baseline.
func options(req *specv1.RunRequest, cfg *config) (jsoneval.Options, error) {
	extract, _ := jsoneval.ParseExtract(cfg.Extract)
	o := jsoneval.Options{Predictions: cfg.Predictions, Extract: extract, Thresholds: cfg.thresholds(),
		OutputDir: req.OutputDir, Worst: cfg.worst()}
	if cfg.Schema != "" {
		s, err := jsoneval.LoadSchema(cfg.Schema)
		if err != nil {
			return o, err
		}
		o.Schema, o.SchemaName = s, filepath.Base(cfg.Schema)
	}
	base, src, err := baseline(req, cfg.Baseline)
	o.Baseline, o.BaselineSource = base, src
	return o, err
}

// baseline finds the earlier report: the artifact the engine handed as
// input "baseline" (ledger:previous), or a report path relative to the spec.
func baseline(req *specv1.RunRequest, spec string) (*jsoneval.Report, string, error) {
	switch spec {
	case "":
		return nil, "", nil
	case LedgerPrevious:
		ins := req.InputsFor(BaselineAttr)
		if len(ins) == 0 {
			return nil, LedgerPrevious, nil
		}
		rep, err := jsoneval.ReadReport(filepath.Join(ins[0].Dir, jsoneval.ReportFile))
		if err != nil {
			return nil, "", fmt.Errorf("baseline %s (%s): %w", ins[0].Step, ins[0].Digest, err)
		}
		return rep, LedgerPrevious + " " + ins[0].Digest, nil
	}
	p := spec
	if !filepath.IsAbs(p) {
		p = filepath.Join(req.SpecDir, p)
	}
	rep, err := jsoneval.ReadReport(p)
	if err != nil {
		return nil, "", fmt.Errorf("baseline: %w", err)
	}
	return rep, spec, nil
}

func logReport(ev sdk.Events, rep *jsoneval.Report) {
	m := rep.Metrics
	ev.Log(fmt.Sprintf("%d predictions: %d valid (%.2f%%), %d clean, %d extracted", m.Total, m.Valid, 100*m.ValidRate, m.Clean, m.Extracted))
	if m.FieldAccuracy != nil {
		ev.Log(fmt.Sprintf("field accuracy %.4f over %d predictions with expected values", *m.FieldAccuracy, m.WithExpected))
	}
	if cl := rep.Clusters.ByCategory; len(cl) > 0 {
		ev.Log(fmt.Sprintf("largest failure cluster: %s (%d of %d failures); %d hard cases in %s",
			cl[0].Key, cl[0].Count, rep.Clusters.Failures, rep.HardCases, jsoneval.HardCasesFile))
	}
	if b := rep.Baseline; b != nil && b.Found {
		ev.Log(fmt.Sprintf("baseline %s: %s %+.4f, valid rate %+.4f", b.Source, b.TaskMetric, b.Task.Delta, b.Validity.Delta))
	}
	for _, n := range rep.Notes {
		ev.Log("note: " + n)
	}
	for _, f := range rep.Failures {
		ev.Log("gate: " + f.Message)
	}
	ev.Log("verdict: " + rep.Verdict)
}

// metadata is the eval artifact's config: findings for missed thresholds,
// the metrics, and the target's license, lineage and notices.
func metadata(req *specv1.RunRequest, rep *jsoneval.Report) (*specv1.Metadata, error) {
	md := &specv1.Metadata{Kind: "eval", Outputs: map[string]string{
		"verdict": rep.Verdict, "valid_rate": strconv.FormatFloat(rep.Metrics.ValidRate, 'f', -1, 64)}}
	if ts := req.InputsFor("target"); len(ts) > 0 {
		t := ts[0].Metadata
		md.License, md.Lineage, md.Notices = t.License, t.Lineage, t.Notices
	}
	for _, f := range rep.Failures {
		md.Findings = append(md.Findings, specv1.Finding{Code: f.Code, Severity: specv1.SeverityError,
			File: jsoneval.ReportFile, Path: f.Path, Message: f.Message})
	}
	if b := rep.Baseline; b != nil && !b.Found {
		md.Findings = append(md.Findings, specv1.Finding{Code: CodeNoBaseline, Severity: specv1.SeverityWarning,
			File: jsoneval.ReportFile, Path: "baseline", Message: rep.Notes[len(rep.Notes)-1]})
	}
	extra, err := json.Marshal(Extra{Verdict: rep.Verdict, Metrics: rep.Metrics, Baseline: rep.Baseline})
	if err != nil {
		return nil, errors.Join(errors.New("eval metadata"), err)
	}
	md.Extra = extra
	return md, nil
}
