package license

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Files the step writes into its output folder.
const (
	FileReport     = "license-report.json"
	FileReportSPDX = "license-report.spdx.json"
)

// component is the check "license" step.
type component struct{ desc specv1.Component }

// config is the step's decoded configuration.
type config struct {
	Target       string   `json:"target"`
	Use          string   `json:"use"`
	Redistribute bool     `json:"redistribute"`
	Allow        []string `json:"allow"`
	Deny         []string `json:"deny"`
	AllowUnknown bool     `json:"allow_unknown"`
}

func (c config) policy() lic.Policy {
	return lic.Policy{Use: c.Use, Redistribute: c.Redistribute, Allow: c.Allow, Deny: c.Deny, AllowUnknown: c.AllowUnknown}
}

func (c component) Describe() specv1.Component { return c.desc }

// Validate checks use and the license ids of allow and deny.
func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, err := decode(req.Config)
	if err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: err.Error()}}
	}
	var ds []specv1.Diagnostic
	if cfg.Use == "" {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "use is required",
			Detail: "use = \"research\", \"commercial\" or \"production\"", Path: []string{"use"}})
	} else if err := cfg.policy().Validate(); err != nil {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: err.Error(), Path: []string{"use"}})
	}
	for _, attr := range []struct {
		name string
		ids  []string
	}{{"allow", cfg.Allow}, {"deny", cfg.Deny}} {
		for i, id := range attr.ids {
			if _, err := lic.Parse(id); err != nil {
				ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: err.Error(),
					Path: []string{attr.name, fmt.Sprint(i)}})
			}
		}
	}
	return ds
}

// Run evaluates the policy on the target and writes the license files.
func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, err := decode(req.Config)
	if err != nil {
		return nil, err
	}
	if err := cfg.policy().Validate(); err != nil {
		return nil, err
	}
	in, err := sdk.OneInput(req, "target")
	if err != nil {
		return nil, err
	}
	target := in.Metadata
	vs := lic.Evaluate(subject(in), cfg.policy())
	out := sdk.Derive("check", target)
	for _, v := range vs {
		out.Findings = append(out.Findings, specv1.Finding{Code: v.Code, Severity: v.Severity, Message: v.Message})
		ev.Log(v.Severity + ": " + v.Message)
	}
	texts, err := detect(in.Dir)
	if err != nil {
		return nil, err
	}
	for _, f := range lic.Mismatch(target.License, texts) {
		out.Findings = append(out.Findings, f)
		ev.Log(f.Severity + ": " + f.Message)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := writeFiles(req.OutputDir, &target, in.Digest, texts); err != nil {
		return nil, err
	}
	return out, nil
}

// subject is the target as evaluated: a target without lineage (a model
// step) is its own lineage entry, so that findings name its step.
func subject(in specv1.Input) *specv1.Metadata {
	m := in.Metadata
	if len(m.Lineage) == 0 && m.License != "" {
		m.Lineage = []specv1.Lineage{lic.Entry(in)}
	}
	return &m
}

// detect identifies the license texts the target ships (none when it
// has no folder).
func detect(dir string) ([]lic.Detection, error) {
	if dir == "" {
		return nil, nil
	}
	return lic.DetectFolder(dir)
}

func decode(raw json.RawMessage) (config, error) {
	var cfg config
	if len(raw) == 0 {
		return cfg, nil
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, fmt.Errorf("check license config: %w", err)
	}
	return cfg, nil
}

// writeFiles writes the report (JSON and SPDX) and LICENSE/NOTICE.
func writeFiles(dir string, m *specv1.Metadata, subject string, texts []lic.Detection) error {
	r := lic.NewReport(m, subject)
	r.Texts = texts
	files := lic.Files(m)
	js, err := r.JSON()
	if err != nil {
		return err
	}
	sp, err := r.SPDX()
	if err != nil {
		return err
	}
	files[FileReport], files[FileReportSPDX] = js, sp
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}
