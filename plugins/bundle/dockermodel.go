package bundle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/ckpt-dev/ckpt/packaging/dockermodel"
	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// dockerModelComponent is the bundle "docker-model" step.
type dockerModelComponent struct{ desc specv1.Component }

func dockerModelDesc() specv1.Component {
	return specv1.Component{Kind: specv1.KindBundle, Type: "docker-model",
		Description:  "Package a GGUF export as a Docker Model Runner model (docker model pull).",
		Capabilities: specv1.Capabilities{Gated: true},
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "from", Type: specv1.TypeStep, Kinds: []string{specv1.KindExport}, Required: true, Description: "GGUF export (export \"gguf\") of a model, or of an adapter."},
			{Name: "base", Type: specv1.TypeStep, Kinds: []string{specv1.KindExport}, Description: "GGUF export of the base model, for an adapter export."},
			{Name: "name", Type: specv1.TypeString, Required: true, Description: "Model name."},
			{Name: "type", Type: specv1.TypeString, Description: "Which of the export's types to pack (default: the first)."},
		}}}
}

func (c dockerModelComponent) Describe() specv1.Component { return c.desc }

func (c dockerModelComponent) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	if _, err := sdk.DecodeConfig[ollamaConfig](req.Config); err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: err.Error()}}
	}
	return nil
}

// Run writes the Docker model's OCI layout into req.OutputDir.
func (c dockerModelComponent) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	return runGGUF(ctx, req, ev, func(l *modelpack.Layout, cfg ollamaConfig, from specv1.Input) (ocispec.Descriptor, error) {
		o, err := dockerModelOptions(req, from, cfg)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		return dockermodel.Build(ctx, l, o)
	})
}

// dockerModelOptions picks the model (and adapter) GGUF and the licenses.
func dockerModelOptions(req *specv1.RunRequest, from specv1.Input, cfg ollamaConfig) (dockermodel.Options, error) {
	o := dockermodel.Options{Tag: Tag}
	path, x, err := ggufFile(from, cfg.Type)
	if err != nil {
		return o, err
	}
	o.Model = dockermodel.File{Src: path, Name: filepath.Base(path)}
	if x.Adapter {
		base, err := sdk.OneInput(req, "base")
		if err != nil {
			return o, fmt.Errorf("an adapter export needs base = export.NAME (its base model's export): %w", err)
		}
		o.Adapter = o.Model
		if path, _, err = ggufFile(base, cfg.Type); err != nil {
			return o, err
		}
		o.Model = dockermodel.File{Src: path, Name: filepath.Base(path)}
	}
	o.Licenses, err = licenseFiles(req.ScratchDir, &from.Metadata)
	return o, err
}

// licenseTexts are the lineage's LICENSE/NOTICE texts and their sorted names.
func licenseTexts(m *specv1.Metadata) ([]string, map[string][]byte) {
	files := lic.Files(m)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, files
}

// licenseFiles writes the lineage's LICENSE/NOTICE texts under dir.
func licenseFiles(dir string, m *specv1.Metadata) ([]dockermodel.File, error) {
	names, files := licenseTexts(m)
	var out []dockermodel.File
	for _, n := range names {
		p := filepath.Join(dir, "licenses", n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", p, err)
		}
		out = append(out, dockermodel.File{Src: p, Name: n})
	}
	return out, nil
}
