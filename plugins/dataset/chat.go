package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/chatdata"
	"github.com/ckpt-dev/ckpt/packaging/tree"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// ReportFile is the dataset report written into the artifact.
const ReportFile = "dataset-report.json"

// maxFindings caps the findings copied into the metadata; the report lists
// more.
const maxFindings = 100

type component struct{ desc specv1.Component }

type config struct {
	Train      string `json:"train"`
	Validation string `json:"validation"`
	ID         string `json:"id"`
	License    string `json:"license"`
}

// Report is dataset-report.json: the check's report with the dataset's id
// and license.
type Report struct {
	ID      string `json:"id,omitempty"`
	License string `json:"license,omitempty"`
	*chatdata.Report
}

// Extra is the Metadata.Extra of a dataset artifact.
type Extra struct {
	Errors   int                  `json:"errors"`
	Warnings int                  `json:"warnings"`
	Files    []chatdata.FileStats `json:"files"`
}

func (c component) Describe() specv1.Component { return c.desc }

func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	_, ds := parse(req.Config)
	return ds
}

func parse(raw json.RawMessage) (*config, []specv1.Diagnostic) {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: "invalid dataset config: " + err.Error()}}
	}
	if c.Train == "" {
		return &c, []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: "train is required: the training split (JSONL)", Path: []string{"train"}}}
	}
	return &c, nil
}

func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, ds := parse(req.Config)
	if len(ds) > 0 {
		return nil, fmt.Errorf("%s: %s", req.Step, ds[0].Summary)
	}
	splits := []chatdata.Split{{Name: "train", Path: cfg.Train}}
	if cfg.Validation != "" {
		splits = append(splits, chatdata.Split{Name: "validation", Path: cfg.Validation})
	}
	rep, err := chatdata.Check(ctx, splits, chatdata.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Step, err)
	}
	if err := writeOutputs(req.OutputDir, splits, Report{ID: cfg.ID, License: cfg.License, Report: rep}); err != nil {
		return nil, fmt.Errorf("%s: %w", req.Step, err)
	}
	logReport(ev, rep)
	return metadata(cfg, rep)
}

// writeOutputs writes the report and refers to each split's file from dir
// (an absolute link: the store records it without copying).
func writeOutputs(dir string, splits []chatdata.Split, rep Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", ReportFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ReportFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %w", err)
	}
	used := map[string]bool{ReportFile: true}
	for _, s := range splits {
		name := filepath.Base(s.Path)
		if used[name] {
			name = s.Name + "-" + name
		}
		used[name] = true
		if err := tree.ReferFile(s.Path, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("copy data file: %w", err)
		}
	}
	return nil
}

func logReport(ev sdk.Events, rep *chatdata.Report) {
	for _, f := range rep.Files {
		ev.Log(fmt.Sprintf("%s (%s): %d samples, %d valid, %d tool calls, ~%d tokens (p50 %d, p95 %d, max %d per sample)",
			f.Split, f.File, f.Samples, f.Valid, f.ToolCalls, f.Tokens.Total, f.Tokens.P50, f.Tokens.P95, f.Tokens.Max))
	}
	for _, i := range rep.Issues {
		ev.Log(i.String())
	}
	ev.Log(fmt.Sprintf("%d errors, %d warnings", rep.Errors, rep.Warnings))
}

func metadata(cfg *config, rep *chatdata.Report) (*specv1.Metadata, error) {
	md := &specv1.Metadata{Kind: "dataset", ID: cfg.ID, License: cfg.License}
	for k, i := range rep.Issues {
		if k == maxFindings {
			md.Findings = append(md.Findings, specv1.Finding{Code: "chat.more", Severity: specv1.SeverityWarning, File: ReportFile,
				Message: fmt.Sprintf("%d more issues in %s", len(rep.Issues)-maxFindings, ReportFile)})
			break
		}
		md.Findings = append(md.Findings, specv1.Finding{Code: i.Code, Severity: i.Severity, File: i.File,
			Path: lineRef(i.Line), Message: i.String()})
	}
	if rep.Errors > 0 && !hasError(md.Findings) {
		md.Findings = append(md.Findings, specv1.Finding{Code: "chat.errors", Severity: specv1.SeverityError, File: ReportFile,
			Message: fmt.Sprintf("%d errors in the data; see %s", rep.Errors, ReportFile)})
	}
	extra, err := json.Marshal(Extra{Errors: rep.Errors, Warnings: rep.Warnings, Files: rep.Files})
	if err != nil {
		return nil, fmt.Errorf("dataset metadata: %w", err)
	}
	md.Extra = extra
	return md, nil
}

func lineRef(line int) string {
	if line == 0 {
		return ""
	}
	return fmt.Sprintf("line %d", line)
}

func hasError(fs []specv1.Finding) bool {
	for _, f := range fs {
		if f.Severity == specv1.SeverityError {
			return true
		}
	}
	return false
}
