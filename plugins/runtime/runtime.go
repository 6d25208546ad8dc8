package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Output file names.
const (
	FindingsFile = "findings.json"
	ReportFile   = "report.txt"
)

// component is the check "runtime" step.
type component struct{ desc specv1.Component }

// config is the step's configuration.
type config struct {
	Target   string   `json:"target"`
	Runtimes []string `json:"runtimes"`
	// TemplateReference is an absolute path (TypePath).
	TemplateReference string `json:"template_reference"`
}

func (c component) Describe() specv1.Component { return c.desc }

func parseConfig(raw json.RawMessage) (config, []specv1.Diagnostic) {
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: "invalid configuration", Detail: err.Error()}}
	}
	var ds []specv1.Diagnostic
	if cfg.Target == "" {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "target is required",
			Detail: "name the model, merge or adapter to check, e.g. target = merge.support", Path: []string{"target"}})
	}
	known := compat.ProfileNames()
	for i, r := range cfg.Runtimes {
		if !contains(known, r) {
			ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: fmt.Sprintf("unknown runtime %q", r),
				Detail: "known runtimes: " + strings.Join(known, ", "), Path: []string{"runtimes", strconv.Itoa(i)}})
		}
	}
	return cfg, ds
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, ds := parseConfig(req.Config)
	for _, in := range req.Inputs {
		if in.Attr == "target" {
			ds = append(ds, layoutDiagnostics(cfg, in)...)
		}
	}
	return ds
}

// layoutDiagnostics flags runtimes the target's layout cannot serve, when
// its metadata is already known.
func layoutDiagnostics(cfg config, target specv1.Input) []specv1.Diagnostic {
	md := target.Metadata
	var ds []specv1.Diagnostic
	for i, r := range cfg.Runtimes {
		need := map[string]string{"vllm-mistral": "mistral", "mistral-inference": "mistral", "transformers": "hf"}[r]
		var why string
		switch {
		case md.Kind == "adapter" && r != "vllm-lora":
			why = "an adapter; check it with vllm-lora, or check the merge"
		case md.Kind != "adapter" && r == "vllm-lora":
			why = "not an adapter"
		case need != "" && md.Format != "" && md.Format != need:
			why = "in the " + md.Format + " layout; " + r + " needs the " + need + " layout"
		}
		if why != "" {
			ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: fmt.Sprintf("%s cannot serve %s", r, target.Step),
				Detail: target.Step + " is " + why, Path: []string{"runtimes", strconv.Itoa(i)}})
		}
	}
	return ds
}

// Run checks the target's folder with the selected runtime profiles and
// writes findings.json and report.txt. Error findings fail the step
// through Metadata.Findings (the core applies on_failure).
func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, ds := parseConfig(req.Config)
	if len(ds) > 0 {
		return nil, errors.New(ds[0].Summary)
	}
	target, err := sdk.OneInput(req, "target")
	if err != nil {
		return nil, err
	}
	opts, err := options(cfg, target)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", target.Step, err)
	}
	ev.Log(fmt.Sprintf("checking %s for %s", target.Step, describeProfiles(opts.Profiles)))
	findings, err := compat.Check(ctx, target.Dir, opts)
	if err != nil {
		return nil, err
	}
	if err := writeOutputs(req.OutputDir, target.Step, findings); err != nil {
		return nil, err
	}
	errs, warns := count(findings)
	ev.Log(fmt.Sprintf("%d errors, %d warnings", errs, warns))
	md := sdk.Derive("check", target.Metadata)
	md.Findings = findings
	md.Outputs = map[string]string{"errors": strconv.Itoa(errs), "warnings": strconv.Itoa(warns), "report": FindingsFile}
	return md, nil
}

func describeProfiles(p []string) string {
	if len(p) == 0 {
		return "every runtime its layout claims"
	}
	return strings.Join(p, ", ")
}

// options builds the check options: the profiles, the model ids of the
// target and its lineage (datasets aside), and every training template recorded in its metadata.
func options(cfg config, target specv1.Input) (compat.Options, error) {
	opts := compat.Options{Profiles: cfg.Runtimes}
	if cfg.TemplateReference != "" {
		src, _, err := chatfmt.LoadTemplate(cfg.TemplateReference)
		if err != nil {
			return opts, fmt.Errorf("template_reference: %w", err)
		}
		opts.TemplateReference = src
	}
	md := target.Metadata
	opts.IDs = append(opts.IDs, md.ID)
	for _, l := range md.Lineage {
		if l.Role != "dataset" {
			opts.IDs = append(opts.IDs, l.ID)
		}
	}
	tmpls, err := TrainingTemplates(md.Training)
	if err != nil {
		return opts, fmt.Errorf("training metadata: %w", err)
	}
	for _, t := range tmpls {
		src := "recorded in " + target.Step + " metadata at " + t.Path
		if t.Step != "" {
			src = t.Step + ", " + src
		}
		opts.TrainingTemplates = append(opts.TrainingTemplates, compat.TrainingTemplate{Source: src, Template: t.Template})
	}
	if md.Kind == "adapter" {
		opts.TrainingTemplates = append(opts.TrainingTemplates, adapterFileTemplate(target)...)
	}
	return opts, nil
}

// adapterFileTemplate reads an adapter folder's chat_template.jinja.
func adapterFileTemplate(target specv1.Input) []compat.TrainingTemplate {
	data, err := os.ReadFile(filepath.Join(target.Dir, "chat_template.jinja"))
	if err != nil {
		return nil
	}
	return []compat.TrainingTemplate{{Source: target.Step + "/chat_template.jinja", Template: string(data)}}
}

func count(fs []specv1.Finding) (errs, warns int) {
	for _, f := range fs {
		if f.Severity == specv1.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

// writeOutputs writes findings.json and a human-readable report.
func writeOutputs(dir, target string, fs []specv1.Finding) error {
	if fs == nil {
		fs = []specv1.Finding{}
	}
	data, err := json.MarshalIndent(fs, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, FindingsFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", FindingsFile, err)
	}
	var b strings.Builder
	errs, warns := count(fs)
	fmt.Fprintf(&b, "runtime check of %s: %d errors, %d warnings\n", target, errs, warns)
	for _, f := range fs {
		loc := f.File
		if f.Path != "" {
			loc += " " + f.Path
		}
		fmt.Fprintf(&b, "%s %s %s: %s\n", f.Severity, f.Code, loc, f.Message)
	}
	if err := os.WriteFile(filepath.Join(dir, ReportFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", ReportFile, err)
	}
	return nil
}
