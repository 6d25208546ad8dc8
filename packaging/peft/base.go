package peft

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// Base is a base model's layout, params and tensor headers, read without
// loading any tensor data.
type Base struct {
	Dir    string
	Layout *mistral.Layout
	Params *mistral.Params
	// Tensors maps each tensor name (in the base's layout) to its header
	// entry; Files maps it to the safetensors file holding it.
	Tensors map[string]safetensors.TensorInfo
	Files   map[string]string
	// Names are the tensor names, sorted.
	Names []string
}

// LoadBase detects dir's layout, parses params.json or config.json and
// reads every weight file's header (duplicates across shards refused).
func LoadBase(dir string) (*Base, error) {
	l, err := mistral.DetectLayout(dir)
	if err != nil {
		return nil, err
	}
	b := &Base{Dir: dir, Layout: l, Tensors: map[string]safetensors.TensorInfo{}, Files: map[string]string{}}
	if l.Format == mistral.FormatNative {
		b.Params, err = mistral.ReadParams(l.Config)
	} else {
		var c *mistral.HFConfig
		if c, err = mistral.ReadHFConfig(l.Config); err == nil {
			b.Params, err = c.Params()
		}
	}
	if err != nil {
		return nil, err
	}
	for _, w := range l.Weights {
		if err := b.addFile(w); err != nil {
			return nil, err
		}
	}
	sort.Strings(b.Names)
	return b, nil
}

func (b *Base) addFile(path string) error {
	h, err := safetensors.ReadFileHeader(path)
	if err != nil {
		return err
	}
	for _, t := range h.Tensors {
		if prev, dup := b.Files[t.Name]; dup {
			return fmt.Errorf("%s: tensor %q is also in %s", path, t.Name, filepath.Base(prev))
		}
		b.Tensors[t.Name] = t
		b.Files[t.Name] = path
		b.Names = append(b.Names, t.Name)
	}
	return nil
}

// Basis is the q/k row basis of the base's weights.
func (b *Base) Basis() mistral.Basis {
	if b.Layout.Format == mistral.FormatHF {
		return mistral.BasisHF
	}
	return mistral.BasisNative
}

// NameMap converts between the base's native and HF names.
func (b *Base) NameMap() mistral.NameMap {
	return mistral.NameMap{Vision: b.Params.VisionEncoder != nil}
}

// DType returns the most common dtype of the base's tensors by bytes.
func (b *Base) DType() safetensors.DType {
	bytes := map[safetensors.DType]int64{}
	var best safetensors.DType
	for _, n := range b.Names {
		t := b.Tensors[n]
		bytes[t.DType] += t.Len()
		if best == "" || bytes[t.DType] > bytes[best] || bytes[t.DType] == bytes[best] && t.DType < best {
			best = t.DType
		}
	}
	return best
}

// CheckTensors compares the base's tensors with those its params imply:
// each missing tensor and each shape mismatch is an error naming it.
func (b *Base) CheckTensors() error {
	nm := b.NameMap()
	for _, ts := range mistral.ExpectedTensors(b.Params) {
		name := ts.Name
		if b.Layout.Format == mistral.FormatHF {
			hf, err := nm.ToHF(name)
			if err != nil {
				return err
			}
			name = hf
		}
		t, ok := b.Tensors[name]
		if !ok {
			return fmt.Errorf("%s: tensor %q is missing (%s implies it)", b.Dir, name, filepath.Base(b.Layout.Config))
		}
		if !sameShape(t.Shape, ts.Shape) {
			return fmt.Errorf("%s: tensor %q has shape %v, %s implies %v", b.Files[name], name, t.Shape, filepath.Base(b.Layout.Config), ts.Shape)
		}
	}
	return nil
}

func sameShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
