package adapter

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/tree"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// component is the adapter "peft" or adapter "mistral-finetune" step.
type component struct{ desc specv1.Component }

type config struct {
	Path     string          `json:"path"`
	Base     string          `json:"base"`
	ID       string          `json:"id"`
	License  string          `json:"license"`
	Training json.RawMessage `json:"training"`
	Basis    string          `json:"basis"`
}

// Extra is the adapter's Metadata.Extra, read by merge "lora".
type Extra struct {
	Rank   int     `json:"rank"`
	Alpha  float64 `json:"alpha"`
	Format string  `json:"format"`
	Basis  string  `json:"basis"`
}

type dataset struct {
	ID      string `json:"id"`
	License string `json:"license"`
}

func (c component) Describe() specv1.Component { return c.desc }

// Validate checks required attributes, the basis and training.datasets.
func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, err := sdk.DecodeConfig[config](req.Config)
	if err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: err.Error()}}
	}
	return cfg.diagnostics()
}

func (cfg config) diagnostics() []specv1.Diagnostic {
	var ds []specv1.Diagnostic
	bad := func(path, format string, a ...any) {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: fmt.Sprintf(format, a...), Path: []string{path}})
	}
	if cfg.Path == "" {
		bad("path", "path is required")
	}
	if cfg.Base == "" {
		bad("base", "base is required: the model the adapter was trained on")
	}
	if cfg.Basis != "" && cfg.Basis != string(mistral.BasisHF) && cfg.Basis != string(mistral.BasisNative) {
		bad("basis", "basis %q: want hf or native", cfg.Basis)
	}
	if _, err := cfg.datasets(); err != nil {
		bad("training", "%v", err)
	}
	return ds
}

// datasets reads training.datasets = [{ id, license }].
func (cfg config) datasets() ([]dataset, error) {
	if len(cfg.Training) == 0 || string(cfg.Training) == "null" {
		return nil, nil
	}
	var t struct {
		Datasets []dataset `json:"datasets"`
	}
	if err := json.Unmarshal(cfg.Training, &t); err != nil {
		return nil, fmt.Errorf("training.datasets must be a list of { id, license }: %w", err)
	}
	for i, d := range t.Datasets {
		if d.ID == "" {
			return nil, fmt.Errorf("training.datasets[%d].id is required", i)
		}
	}
	return t.Datasets, nil
}

// Run applies the adapter rules of ckpt check --runtime vllm-lora,
// validates the adapter against its base and links its files into the
// output folder.
func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, err := sdk.DecodeConfig[config](req.Config)
	if err != nil {
		return nil, err
	}
	if err := sdk.Report(ev, cfg.diagnostics()); err != nil {
		return nil, err
	}
	base, err := sdk.OneInput(req, "base")
	if err != nil {
		return nil, err
	}
	ds, err := compat.AdapterErrors(ctx, cfg.Path, "path")
	if err != nil {
		return nil, err
	}
	if err := sdk.Report(ev, ds); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Path, err)
	}
	md, err := Check(cfg.Path, peft.Format(c.desc.Type), mistral.Basis(cfg.Basis), base.Dir)
	if err != nil {
		ev.Diagnostic(specv1.Diagnostic{Severity: specv1.SeverityError, Summary: err.Error(), Path: []string{"path"}})
		return nil, err
	}
	if err := cfg.fill(md, base); err != nil {
		return nil, err
	}
	if _, err := tree.Link(ctx, cfg.Path, req.OutputDir, tree.Options{Flat: true, Refer: true}); err != nil {
		return nil, err
	}
	return md, nil
}

// Check reads the adapter in dir, validates it against the base model
// folder and returns its metadata (kind, format extra).
func Check(dir string, f peft.Format, basis mistral.Basis, baseDir string) (*specv1.Metadata, error) {
	ad, err := peft.Read(dir, f)
	if err != nil {
		return nil, err
	}
	base, err := peft.LoadBase(baseDir)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	if _, err := ad.Resolve(base, basis); err != nil {
		return nil, err
	}
	if basis == "" {
		basis = ad.DefaultBasis()
	}
	extra, _ := json.Marshal(Extra{Rank: ad.Rank, Alpha: ad.Alpha, Format: string(f), Basis: string(basis)})
	return &specv1.Metadata{Kind: "adapter", DType: ad.DType.ShortName(), Extra: extra}, nil
}

// fill sets id, license (the base's when unset), notices, training and the
// lineage: the base, its lineage, then each training dataset.
func (cfg config) fill(md *specv1.Metadata, base specv1.Input) error {
	md.ID = cfg.ID
	md.License = cfg.License
	if md.License == "" {
		md.License = base.Metadata.License
	}
	md.Notices = base.Metadata.Notices
	if len(cfg.Training) > 0 && string(cfg.Training) != "null" {
		md.Training = cfg.Training
	}
	md.Lineage = append(md.Lineage, specv1.Lineage{Role: "base", ID: base.Metadata.ID, Digest: base.Digest,
		License: base.Metadata.License, Step: base.Step})
	md.Lineage = append(md.Lineage, base.Metadata.Lineage...)
	ds, err := cfg.datasets()
	for _, d := range ds {
		md.Lineage = append(md.Lineage, specv1.Lineage{Role: "dataset", ID: d.ID, License: d.License})
	}
	return err
}
