package model

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/tree"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// component is the model "dir" step.
type component struct{ desc specv1.Component }

type config struct {
	Path    string   `json:"path"`
	ID      string   `json:"id"`
	License string   `json:"license"`
	Notices []string `json:"notices"`
}

func (c component) Describe() specv1.Component { return c.desc }

// Validate checks the required attributes and refuses moving "-latest" ids.
func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, err := sdk.DecodeConfig[config](req.Config)
	if err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: err.Error()}}
	}
	return cfg.diagnostics()
}

func (cfg config) diagnostics() []specv1.Diagnostic {
	var ds []specv1.Diagnostic
	if cfg.Path == "" {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "path is required", Path: []string{"path"}})
	}
	switch {
	case cfg.ID == "":
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "id is required",
			Detail: "Pin the model id, e.g. \"mistral-7b-instruct-v0.3\".", Path: []string{"id"}})
	case strings.HasSuffix(cfg.ID, "-latest"):
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Code: "model-id-latest",
			Summary: fmt.Sprintf("id %q is a moving alias", cfg.ID),
			Detail:  "A \"-latest\" id points at different weights over time; pin a dated id such as \"mistral-small-2501\".",
			Path:    []string{"id"}})
	}
	return ds
}

// Run validates the folder (layout, params, every safetensors header, the
// tensors its params imply), refers to its files from the output folder
// (absolute links: the store records them without copying) and returns the
// model's metadata.
func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, err := sdk.DecodeConfig[config](req.Config)
	if err != nil {
		return nil, err
	}
	if err := sdk.Report(ev, cfg.diagnostics()); err != nil {
		return nil, err
	}
	md, err := Describe(cfg.Path)
	if err != nil {
		return nil, err
	}
	md.ID, md.License, md.Notices = cfg.ID, cfg.License, cfg.Notices
	n, err := tree.Link(ctx, cfg.Path, req.OutputDir, tree.Options{Refer: true})
	if err != nil {
		return nil, err
	}
	ev.Log(fmt.Sprintf("%s model %s: %d files", md.Format, cfg.Path, n))
	return md, nil
}

// Describe reads a checkpoint folder's layout, params and tensor headers
// and returns its metadata (kind, format, architecture, dtype, params).
func Describe(dir string) (*specv1.Metadata, error) {
	base, err := peft.LoadBase(dir)
	if err != nil {
		return nil, err
	}
	if err := base.CheckTensors(); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(base.Layout.Config)
	if err != nil {
		return nil, err
	}
	var params json.RawMessage
	if err := json.Unmarshal(raw, &params); err != nil {
		return nil, fmt.Errorf("%s: %w", base.Layout.Config, err)
	}
	md := &specv1.Metadata{Kind: "model", Format: string(base.Layout.Format), Architecture: base.Params.Architecture(),
		DType: base.DType().ShortName(), Params: compact(params)}
	if base.Layout.Format == mistral.FormatHF {
		if c, err := mistral.ReadHFConfig(base.Layout.Config); err == nil && c.Architecture() != "" {
			md.Architecture = c.Architecture()
		}
	}
	return md, nil
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}
