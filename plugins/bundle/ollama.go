package bundle

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"text/template"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/packaging/ollama"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// GGUFComponents returns the bundle steps over GGUF exports: bundle
// "ollama" and "docker-model".
func GGUFComponents() []sdk.Component {
	return []sdk.Component{dockerModelComponent{desc: dockerModelDesc()}, ollamaComponent{desc: specv1.Component{Kind: specv1.KindBundle, Type: "ollama",
		Description:  "Package a GGUF export in Ollama's registry format (ollama pull, ckpt pull --ollama).",
		Capabilities: specv1.Capabilities{Gated: true},
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "from", Type: specv1.TypeStep, Kinds: []string{specv1.KindExport}, Required: true, Description: "GGUF export (export \"gguf\") of a model, or of an adapter."},
			{Name: "base", Type: specv1.TypeStep, Kinds: []string{specv1.KindExport}, Description: "GGUF export of the base model, for an adapter export: its GGUF is the model layer, the adapter's the adapter layer."},
			{Name: "name", Type: specv1.TypeString, Required: true, Description: "Model name."},
			{Name: "type", Type: specv1.TypeString, Description: "Which of the export's types is the model layer (default: the first)."},
			{Name: "template", Type: specv1.TypeString, Description: "Ollama Go template (default: ckpt's for the model's tokenizer version); it must render what the model's chat template renders."},
			{Name: "system", Type: specv1.TypeString, Description: "Default system prompt."},
		}}}}}
}

// ggufExtra is the part of an export artifact's Metadata.Extra a bundle
// reads (plugins/export.Extra; not imported: built-in plugins stay
// independent).
type ggufExtra struct {
	Files   []ggufEntry `json:"files"`
	Adapter bool        `json:"adapter"`
	Chat    string      `json:"chat"`
}

// ggufEntry is one file of an export.
type ggufEntry struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// ggufFile returns the GGUF of type t (default: the first) of an export.
func ggufFile(in specv1.Input, t string) (string, ggufExtra, error) {
	var x ggufExtra
	if err := json.Unmarshal(in.Metadata.Extra, &x); err != nil || len(x.Files) == 0 {
		return "", x, fmt.Errorf("%s is not a GGUF export", in.Step)
	}
	i := 0
	if t != "" {
		i = slices.IndexFunc(x.Files, func(f ggufEntry) bool { return f.Type == t })
		if i < 0 {
			return "", x, fmt.Errorf("%s has no %s GGUF", in.Step, t)
		}
	}
	return filepath.Join(in.Dir, x.Files[i].Name), x, nil
}

type ollamaComponent struct{ desc specv1.Component }

type ollamaConfig struct {
	From     string `json:"from"`
	Base     string `json:"base"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Template string `json:"template"`
	System   string `json:"system"`
}

func (c ollamaComponent) Describe() specv1.Component { return c.desc }

// Validate checks that the template parses as a Go template.
func (c ollamaComponent) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, err := sdk.DecodeConfig[ollamaConfig](req.Config)
	if err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: err.Error()}}
	}
	if cfg.Template == "" {
		return nil
	}
	if _, err := template.New("ollama").Funcs(template.FuncMap{"json": func(any) string { return "" }}).Parse(cfg.Template); err != nil {
		return []specv1.Diagnostic{diag("template", "template is not a Go template", err.Error())}
	}
	return nil
}

// Run writes the Ollama bundle's OCI layout into req.OutputDir.
func (c ollamaComponent) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	return runGGUF(ctx, req, ev, func(l *modelpack.Layout, cfg ollamaConfig, from specv1.Input) (ocispec.Descriptor, error) {
		o, err := ollamaOptions(req, from, cfg)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		return ollama.Build(ctx, l, o)
	})
}

// runGGUF is the Run of a bundle over a GGUF export: build writes the
// bundle's manifest into the layout in req.OutputDir, from the step's
// config and its "from" input.
func runGGUF(ctx context.Context, req *specv1.RunRequest, ev sdk.Events, build func(*modelpack.Layout, ollamaConfig, specv1.Input) (ocispec.Descriptor, error)) (*specv1.Metadata, error) {
	cfg, err := sdk.DecodeConfig[ollamaConfig](req.Config)
	if err != nil {
		return nil, err
	}
	from, err := sdk.OneInput(req, "from")
	if err != nil {
		return nil, err
	}
	l, err := modelpack.CreateLayout(req.OutputDir)
	if err != nil {
		return nil, err
	}
	desc, err := build(l, cfg, from)
	if err != nil {
		return nil, err
	}
	return finish(req, ev, cfg.Name, l, desc, from.Metadata)
}

// finish attaches the license report and provenance to a GGUF bundle's
// manifest, closes its layout and returns its metadata.
func finish(req *specv1.RunRequest, ev sdk.Events, name string, l *modelpack.Layout, desc ocispec.Descriptor, m specv1.Metadata) (*specv1.Metadata, error) {
	b := &builder{req: req, ev: ev, cfg: config{Name: name}, layout: l}
	if err := b.attach(desc, &m); err != nil {
		return nil, err
	}
	if err := l.Close(); err != nil {
		return nil, err
	}
	out := sdk.Derive(specv1.KindBundle, m)
	out.Format, out.Architecture, out.DType = m.Format, m.Architecture, m.DType
	out.Outputs = map[string]string{"digest": desc.Digest.String(), "name": name}
	ev.Log(fmt.Sprintf("bundle %s: %s", name, desc.Digest))
	return out, nil
}

// ollamaOptions picks the model (and adapter) GGUF, the template (checked
// against the GGUF's chat template), the stop strings and the licenses.
func ollamaOptions(req *specv1.RunRequest, from specv1.Input, cfg ollamaConfig) (ollama.Options, error) {
	o := ollama.Options{Tag: Tag, System: cfg.System, Stop: []string{"[INST]", "[/INST]"}}
	path, x, err := ggufFile(from, cfg.Type)
	if err != nil {
		return o, err
	}
	o.Model = path
	if x.Adapter {
		base, err := sdk.OneInput(req, "base")
		if err != nil {
			return o, fmt.Errorf("an adapter export needs base = export.NAME (its base model's export): %w", err)
		}
		o.Adapter = path
		if o.Model, x, err = ggufFile(base, cfg.Type); err != nil {
			return o, err
		}
	}
	if o.Template, err = ollamaTemplate(o.Model, x.Chat, cfg.Template); err != nil {
		return o, err
	}
	names, files := licenseTexts(&from.Metadata)
	for _, n := range names {
		o.Licenses = append(o.Licenses, files[n])
	}
	return o, nil
}

// ollamaTemplate is the override or ckpt's template of version chat,
// checked against the model's chat template over the conversation suite
// (v7's when the version is unknown and the template given).
func ollamaTemplate(model, chat, override string) (string, error) {
	f, err := gguf.ReadFile(model)
	if err != nil {
		return "", err
	}
	jinja, _ := f.Get("tokenizer.chat_template")
	src, _ := jinja.(string)
	v := chatfmt.Version{N: 7}
	switch {
	case chat != "":
		if v, err = chatfmt.ParseVersion(chat); err != nil {
			return "", err
		}
	case override == "":
		return "", fmt.Errorf("%s: the tokenizer version is unknown: set template", model)
	}
	t := override
	if t == "" {
		if t, err = ollama.Template(v); err != nil {
			return "", err
		}
	}
	if src == "" {
		return t, nil
	}
	render := func(s string, conv []byte) (string, error) {
		return compat.RenderTemplate(s, conv, compat.DefaultVars())
	}
	n, err := ollama.Check(t, src, render, v)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	if n == 0 {
		return "", fmt.Errorf("template: the model's chat template renders no conversation of the %s suite to compare with", v)
	}
	return t, nil
}
