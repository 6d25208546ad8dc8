package export

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// FormatGGUF is the Format of an export "gguf" artifact.
const FormatGGUF = "gguf"

// component is the export "gguf" step.
type component struct{ desc specv1.Component }

// config is the step's decoded configuration.
type config struct {
	From  string   `json:"from"`
	Base  string   `json:"base"`
	Name  string   `json:"name"`
	Types []string `json:"types"`
}

// adapterExtra is the part of an adapter artifact's Metadata.Extra the
// export reads (plugins/adapter.Extra; not imported: built-in plugins stay
// independent).
type adapterExtra struct {
	Format string `json:"format"`
	Basis  string `json:"basis"`
}

// File is one GGUF file of the artifact, listed in Metadata.Extra.
type File struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Extra is an export artifact's Metadata.Extra.
type Extra struct {
	Files   []File `json:"files"`
	Adapter bool   `json:"adapter,omitempty"`
	// Chat is the model's tokenizer version ("v7", "v3_spm"), when known:
	// the chat format a bundle's template must render.
	Chat string `json:"chat,omitempty"`
}

func (c component) Describe() specv1.Component { return c.desc }

// Validate checks the types and that an adapter has a base.
func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, err := sdk.DecodeConfig[config](req.Config)
	if err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: err.Error()}}
	}
	adapter := false
	for _, in := range req.Inputs {
		if in.Attr == "from" && in.Metadata.Kind == specv1.KindAdapter {
			adapter = true
		}
	}
	return cfg.diagnostics(adapter)
}

func (cfg config) diagnostics(adapter bool) []specv1.Diagnostic {
	var ds []specv1.Diagnostic
	known := gguf.FileTypes()
	for i, t := range cfg.Types {
		if !slices.Contains(known, gguf.FileType(t)) {
			ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: fmt.Sprintf("unknown GGUF type %q", t),
				Detail: fmt.Sprintf("known types: %v", known), Path: []string{"types", strconv.Itoa(i)}})
		} else if adapter && gguf.FileType(t) != gguf.FileF32 {
			ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: fmt.Sprintf("an adapter exports as f32 only, not %q", t),
				Detail: "LoRA GGUF tensors are F32; leave types out", Path: []string{"types", strconv.Itoa(i)}})
		}
	}
	if adapter && cfg.Base == "" {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "an adapter export needs its base",
			Detail: "set base = model.NAME (the adapter's base)", Path: []string{"base"}})
	}
	return ds
}

// Run writes one GGUF file per type into req.OutputDir.
func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, err := sdk.DecodeConfig[config](req.Config)
	if err != nil {
		return nil, err
	}
	from, err := sdk.OneInput(req, "from")
	if err != nil {
		return nil, err
	}
	m := from.Metadata
	adapter := m.Kind == specv1.KindAdapter
	if err := sdk.Report(ev, cfg.diagnostics(adapter)); err != nil {
		return nil, err
	}
	name := cfg.Name
	if name == "" {
		name = m.ID
	}
	if name == "" {
		name = "model"
	}
	var files []File
	if adapter {
		files, err = exportAdapter(ctx, req, from, name, ev)
	} else {
		files, err = exportModel(ctx, req.OutputDir, from, name, cfg.types(), ev)
	}
	if err != nil {
		return nil, err
	}
	out := sdk.Derive(specv1.KindExport, m)
	out.Format, out.Architecture, out.Params = FormatGGUF, m.Architecture, m.Params
	out.DType = files[0].Type
	x := Extra{Files: files, Adapter: adapter}
	if v, _, err := chatfmt.DetectVersion(from.Dir); err == nil && !adapter {
		x.Chat = v.String()
	}
	extra, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	out.Extra = extra
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	out.Outputs = map[string]string{"name": name, "files": strings.Join(names, ",")}
	return out, nil
}

func (cfg config) types() []gguf.FileType {
	if len(cfg.Types) == 0 {
		return []gguf.FileType{gguf.FileBF16}
	}
	var ts []gguf.FileType
	for _, t := range cfg.Types {
		if !slices.Contains(ts, gguf.FileType(t)) {
			ts = append(ts, gguf.FileType(t))
		}
	}
	return ts
}

// FileName is the name people give a GGUF file of model name and type t:
// support-assistant-Q4_K_M.gguf.
func FileName(name string, t gguf.FileType) string {
	return name + "-" + strings.ToUpper(string(t)) + ".gguf"
}

func exportModel(ctx context.Context, outDir string, from specv1.Input, name string, types []gguf.FileType, ev sdk.Events) ([]File, error) {
	var files []File
	for i, t := range types {
		f := FileName(name, t)
		ev.Log("export " + f)
		ev.Progress(int64(i), int64(len(types)), "files")
		o := gguf.Options{Type: t, Name: name, License: from.Metadata.License, BaseModels: baseModels(from.Metadata)}
		if err := gguf.Export(ctx, from.Dir, filepath.Join(outDir, f), o); err != nil {
			return nil, err
		}
		files = append(files, File{Name: f, Type: string(t)})
	}
	return files, nil
}

func exportAdapter(ctx context.Context, req *specv1.RunRequest, from specv1.Input, name string, ev sdk.Events) ([]File, error) {
	base, err := sdk.OneInput(req, "base")
	if err != nil {
		return nil, err
	}
	var x adapterExtra
	if len(from.Metadata.Extra) > 0 {
		if err := json.Unmarshal(from.Metadata.Extra, &x); err != nil {
			return nil, fmt.Errorf("adapter metadata: %w", err)
		}
	}
	f := name + "-lora-F32.gguf"
	ev.Log("export " + f)
	o := gguf.AdapterOptions{Format: peft.Format(x.Format), Basis: mistral.Basis(x.Basis), Name: name,
		License: from.Metadata.License, BaseModels: baseModels(from.Metadata)}
	if err := gguf.ExportAdapter(ctx, from.Dir, base.Dir, filepath.Join(req.OutputDir, f), o); err != nil {
		return nil, err
	}
	return []File{{Name: f, Type: string(gguf.FileF32)}}, nil
}

// baseModels are general.base_model.N: the base models of the lineage.
func baseModels(m specv1.Metadata) []gguf.BaseModel {
	var bs []gguf.BaseModel
	for _, l := range m.Lineage {
		if l.Role == "base" && l.ID != "" {
			bs = append(bs, gguf.BaseModel{Name: l.ID})
		}
	}
	return bs
}
