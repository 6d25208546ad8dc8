package gguf

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// ErrUnsupported is wrapped by every refusal of a model Export cannot
// convert faithfully (MoE, vision, an unknown architecture or tensor).
var ErrUnsupported = errors.New("cannot convert to GGUF")

// ErrShape is wrapped when a tensor's shape or dtype contradicts the config.
var ErrShape = errors.New("tensor contradicts the model config")

// openModel reads dir's config and safetensors headers, checks that the
// model is a dense Mistral text model whose tensors are exactly those the
// config implies, and maps every tensor to its GGUF name.
func openModel(dir string) (*model, error) {
	lay, err := mistral.DetectLayout(dir)
	if err != nil {
		return nil, err
	}
	m := &model{dir: dir, layout: lay, tensors: map[string]*source{}}
	if m.params, err = readParams(lay); err != nil {
		return nil, err
	}
	if err := m.open(); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func (m *model) open() error {
	if err := m.checkArchitecture(); err != nil {
		return err
	}
	for _, w := range m.layout.Weights {
		f, err := safetensors.Open(w)
		if err != nil {
			return err
		}
		m.files = append(m.files, f)
		if err := m.addFile(f); err != nil {
			return err
		}
	}
	return m.checkTensors()
}

func readParams(lay *mistral.Layout) (*mistral.Params, error) {
	if lay.Format == mistral.FormatNative {
		return mistral.ReadParams(lay.Config)
	}
	c, err := mistral.ReadHFConfig(lay.Config)
	if err != nil {
		return nil, err
	}
	if a := c.Architecture(); a != "mistral" && a != "llama" {
		return nil, fmt.Errorf("%s: %w: model_type %q (only the dense mistral architecture is mapped)", lay.Config, ErrUnsupported, a)
	}
	p, err := c.Params()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lay.Config, err)
	}
	return p, nil
}

func (m *model) checkArchitecture() error {
	p, cfg := m.params, m.layout.Config
	switch {
	case p.MoE != nil:
		return fmt.Errorf("%s: %w: mixture of experts (%d experts) is not mapped to GGUF yet", cfg, ErrUnsupported, p.MoE.NumExperts)
	case p.VisionEncoder != nil:
		return fmt.Errorf("%s: %w: the vision encoder is not mapped to GGUF yet (llama.cpp keeps it in a separate mmproj file)", cfg, ErrUnsupported)
	case p.ModelType != "" && p.ModelType != "transformer":
		return fmt.Errorf("%s: %w: model_type %q", cfg, ErrUnsupported, p.ModelType)
	case p.HeadDim%2 != 0:
		return fmt.Errorf("%s: %w: head_dim %d is odd", cfg, ErrUnsupported, p.HeadDim)
	}
	return nil
}

func (m *model) addFile(f *safetensors.File) error {
	base := filepath.Base(f.Path)
	for _, t := range f.Tensors {
		native := t.Name
		if m.layout.Format == mistral.FormatHF {
			n, err := mistral.NameMap{}.ToNative(t.Name)
			if err != nil {
				return fmt.Errorf("%s: tensor %q: %w: no GGUF mapping", base, t.Name, ErrUnsupported)
			}
			native = n
		}
		name, role, layer, ok := ggufName(native)
		if !ok {
			return fmt.Errorf("%s: tensor %q: %w: no GGUF mapping", base, t.Name, ErrUnsupported)
		}
		if _, dup := m.tensors[native]; dup {
			return fmt.Errorf("%s: tensor %q: appears in two weight files", base, t.Name)
		}
		switch t.DType {
		case safetensors.BF16, safetensors.F16, safetensors.F32:
		default:
			return fmt.Errorf("%s: tensor %q: %w: dtype %s (want BF16, F16 or F32)", base, t.Name, ErrShape, t.DType)
		}
		s := &source{file: f, src: t, name: name, role: role, layer: layer}
		if len(t.Shape) > 0 {
			s.rows, s.cols = 1, t.Shape[len(t.Shape)-1]
		}
		if len(t.Shape) == 2 {
			s.rows = t.Shape[0]
		}
		if h, ok := mistral.RotaryHeads(m.params, native); ok && m.layout.Format == mistral.FormatHF {
			s.rotary = h
		}
		m.tensors[native] = s
	}
	return nil
}

// checkTensors compares the tensors with the ones the config implies.
func (m *model) checkTensors() error {
	want := mistral.ExpectedTensors(m.params)
	cfg := filepath.Base(m.layout.Config)
	for _, w := range want {
		s, ok := m.tensors[w.Name]
		if !ok {
			return fmt.Errorf("%s: %w: tensor %q that %s implies is missing", m.dir, ErrShape, m.srcName(w.Name), cfg)
		}
		if !slices.Equal(s.src.Shape, w.Shape) {
			return fmt.Errorf("%s: tensor %q: %w: shape %v, %s implies %v", filepath.Base(s.file.Path), s.src.Name, ErrShape, s.src.Shape, cfg, w.Shape)
		}
	}
	if len(m.tensors) != len(want) {
		var extra []string
		for n, s := range m.tensors {
			if !slices.ContainsFunc(want, func(w mistral.TensorSpec) bool { return w.Name == n }) {
				extra = append(extra, filepath.Base(s.file.Path)+": "+s.src.Name)
			}
		}
		slices.Sort(extra)
		return fmt.Errorf("%s: %w: tensors %s implies no place for: %s", m.dir, ErrShape, cfg, strings.Join(extra, ", "))
	}
	return nil
}

func (m *model) srcName(native string) string {
	if m.layout.Format == mistral.FormatHF {
		if n, err := (mistral.NameMap{}).ToHF(native); err == nil {
			return n
		}
	}
	return native
}

// sources returns the tensors in GGUF order with their types for ft.
func (m *model) sources(ft FileType) []*source {
	out := make([]*source, 0, len(m.tensors))
	for _, s := range m.tensors {
		out = append(out, s)
	}
	sortSources(out)
	_, hasOutput := m.tensors["output.weight"]
	for _, s := range out {
		s.typ = F32
		if len(s.src.Shape) == 2 {
			s.typ = ft.tensorType(s.role, s.cols, s.layer, m.params.NLayers, !hasOutput)
		}
	}
	return out
}
