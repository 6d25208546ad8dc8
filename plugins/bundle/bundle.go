package bundle

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Tags and file names of the OCI layout a bundle writes into its output.
const (
	// Tag names the model manifest in the layout's index.json.
	Tag = "bundle"
	// TagBase names the base model's manifest of an adapter bundle.
	TagBase = "base"
	// FileEvalReport is the report an eval step leaves in its folder.
	FileEvalReport = "eval-report.json"
)

// packer writes one manifest of files into a bundle layout.
type packer func(context.Context, *modelpack.Layout, []modelpack.File, modelpack.Options) (ocispec.Descriptor, error)

// component is a bundle step: "modelpack" (modelpack.Build) or "kitops"
// (kitops.Build); both write the same layout with the same referrers.
type component struct {
	desc specv1.Component
	pack packer
}

// config is the step's decoded configuration.
type config struct {
	From            string   `json:"from"`
	Name            string   `json:"name"`
	Version         string   `json:"version"`
	Description     string   `json:"description"`
	Authors         []string `json:"authors"`
	Compression     string   `json:"compression"`
	TextCompression string   `json:"text_compression"`
	MediaTypes      string   `json:"media_types"`
	Base            string   `json:"base"`
}

func decode(raw json.RawMessage) (config, error) {
	var c config
	if len(raw) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("bundle config: %w", err)
	}
	return c, nil
}

func (c config) options(m *specv1.Metadata) modelpack.Options {
	return modelpack.Options{Name: c.Name, Version: c.Version, Description: c.Description, Authors: c.Authors,
		WeightCodec: c.Compression, TextCodec: c.TextCompression, MediaTypes: c.MediaTypes, Metadata: m}
}

func (c component) Describe() specv1.Component { return c.desc }

// Validate checks the compression settings and the dtype the float codec needs.
func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, err := decode(req.Config)
	if err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: err.Error()}}
	}
	var m *specv1.Metadata
	for _, in := range req.Inputs {
		if in.Attr == "from" {
			m = &in.Metadata
		}
	}
	return cfg.validate(m)
}

func (cfg config) validate(m *specv1.Metadata) []specv1.Diagnostic {
	var ds []specv1.Diagnostic
	switch cfg.Compression {
	case "", modelpack.CodecNone, modelpack.CodecTar, modelpack.CodecZstd, modelpack.CodecFloat:
	default:
		ds = append(ds, diag("compression", "compression must be none, tar, zstd or float", cfg.Compression))
	}
	if cfg.Compression == modelpack.CodecFloat && m != nil && m.DType != "" && m.DType != "bf16" && m.DType != "fp16" {
		ds = append(ds, diag("compression", "compression \"float\" needs bf16 or fp16 weights", m.DType))
	}
	switch cfg.TextCompression {
	case "", modelpack.CodecNone, modelpack.CodecTar, modelpack.CodecZstd:
	default:
		ds = append(ds, diag("text_compression", "text_compression must be none, tar or zstd", cfg.TextCompression))
	}
	switch cfg.MediaTypes {
	case "", modelpack.MediaTypesCNCF, modelpack.MediaTypesCNAI:
	default:
		ds = append(ds, diag("media_types", "media_types must be cncf or cnai", cfg.MediaTypes))
	}
	return ds
}

func diag(attr, summary, got string) specv1.Diagnostic {
	return specv1.Diagnostic{Severity: specv1.SeverityError, Summary: summary,
		Detail: fmt.Sprintf("got %q", got), Path: []string{attr}}
}

// Run writes the OCI layout of the bundle into req.OutputDir.
func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, err := decode(req.Config)
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
	b := &builder{req: req, ev: ev, cfg: cfg, layout: l, pack: c.pack}
	desc, err := b.build(ctx, from)
	if err != nil {
		return nil, err
	}
	if err := l.Close(); err != nil {
		return nil, err
	}
	m := from.Metadata
	out := sdk.Derive("bundle", m)
	out.Format, out.Architecture, out.DType, out.Params, out.Training = m.Format, m.Architecture, m.DType, m.Params, m.Training
	out.Outputs = map[string]string{"digest": desc.Digest.String(), "name": cfg.Name}
	ev.Log(fmt.Sprintf("bundle %s: %s", cfg.Name, desc.Digest))
	return out, nil
}

// builder writes one bundle.
type builder struct {
	req    *specv1.RunRequest
	ev     sdk.Events
	cfg    config
	layout *modelpack.Layout
	pack   packer
	texts  []lic.Detection // what the license gates found in the texts
}

func (b *builder) build(ctx context.Context, from specv1.Input) (ocispec.Descriptor, error) {
	m := from.Metadata
	opts := b.cfg.options(&m)
	opts.Tag = Tag
	opts.Progress = func(done, total int64) { b.ev.Progress(done, total, "bytes") }
	if bases := b.req.InputsFor("base"); len(bases) == 1 && m.Kind == specv1.KindAdapter {
		base, err := b.buildBase(ctx, bases[0])
		if err != nil {
			return base, err
		}
		opts.Subject = &base
	}
	if m.Kind == specv1.KindAdapter {
		opts.Metadata = withSelf(m, from)
	}
	files, err := b.files(from)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := b.pack(ctx, b.layout, files, opts)
	if err != nil {
		return desc, err
	}
	b.texts = gateTexts(b.req, from.Digest)
	return desc, b.attach(desc, opts.Metadata)
}

// withSelf returns m whose lineage also lists the adapter itself (role
// adapter) before what it derives from, so that a reader of the bundle's
// lineage sees both the adapter and its base.
func withSelf(m specv1.Metadata, from specv1.Input) *specv1.Metadata {
	self := specv1.Lineage{Role: "adapter", ID: m.ID, Digest: from.Digest, License: m.License, Step: from.Step}
	for _, l := range m.Lineage {
		if l.Role == self.Role && l.Digest == self.Digest {
			return &m
		}
	}
	m.Lineage = append([]specv1.Lineage{self}, m.Lineage...)
	return &m
}

// buildBase packs the base model as its own ModelPack manifest.
func (b *builder) buildBase(ctx context.Context, base specv1.Input) (ocispec.Descriptor, error) {
	files, err := walk(base.Dir, "")
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	bm := base.Metadata
	opts := b.cfg.options(&bm)
	opts.Name, opts.Version, opts.Description, opts.Tag = bm.ID, "", "", TagBase
	return b.pack(ctx, b.layout, files, opts)
}

// files lists the model's files, the eval reports of the gates and the
// LICENSE/NOTICE files its lineage requires (unless the model has them).
func (b *builder) files(from specv1.Input) ([]modelpack.File, error) {
	files, err := walk(from.Dir, "")
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, f := range files {
		have[f.Path] = true
	}
	for _, g := range b.req.InputsFor(specv1.AttrGate) {
		p := filepath.Join(g.Dir, FileEvalReport)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			files = append(files, modelpack.File{Path: "evals/" + g.Step + "/" + FileEvalReport, Src: p, Mode: 0o644, Size: st.Size()})
		}
	}
	extra := filepath.Join(b.req.ScratchDir, "bundle-files")
	for name, data := range lic.Files(&from.Metadata) {
		if have[name] {
			continue
		}
		if err := os.MkdirAll(extra, 0o755); err != nil {
			return nil, err
		}
		p := filepath.Join(extra, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
		files = append(files, modelpack.File{Path: name, Src: p, Mode: 0o644, Size: int64(len(data))})
	}
	return files, nil
}

// attach adds the license report, the provenance and the ML-BOM as referrers.
func (b *builder) attach(desc ocispec.Descriptor, m *specv1.Metadata) error {
	r := lic.NewReport(m, desc.Digest.String())
	r.Texts = b.texts
	js, err := r.JSON()
	if err != nil {
		return err
	}
	sp, err := r.SPDX()
	if err != nil {
		return err
	}
	if _, err := modelpack.Attach(b.layout, desc, specv1.ArtifactTypeLicenseReport, []modelpack.Blob{
		{MediaType: specv1.ArtifactTypeLicenseReport, Title: "license-report.json", Data: js},
		{MediaType: "application/spdx+json", Title: "license-report.spdx.json", Data: sp},
	}); err != nil {
		return fmt.Errorf("license report: %w", err)
	}
	prov, err := modelpack.NewProvenance(b.cfg.Name, desc, b.req.Step, b.req.Build, b.req.Inputs).JSON()
	if err != nil {
		return err
	}
	_, err = modelpack.Attach(b.layout, desc, specv1.ArtifactTypeProvenance, []modelpack.Blob{
		{MediaType: modelpack.MediaTypeInToto, Title: "provenance.intoto.json", Data: prov,
			Annotations: map[string]string{modelpack.AnnotationPredType: modelpack.PredicateSLSA}},
	})
	if err != nil {
		return fmt.Errorf("provenance: %w", err)
	}
	return b.attachMLBOM(desc, m)
}

// walk lists the regular files under dir and the links to regular files
// (inputs that refer to a user's file), slash-separated paths, sorted.
func walk(dir, prefix string) ([]modelpack.File, error) {
	var files []modelpack.File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, modelpack.File{Path: prefix + filepath.ToSlash(rel), Src: p, Mode: info.Mode(), Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	return files, nil
}
