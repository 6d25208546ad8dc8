package compat

import (
	"path/filepath"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// tensorInfo is one tensor of a safetensors header.
type tensorInfo struct {
	DType string
	Shape Shape
	File  string
}

// readTensorHeader reads and validates the header of one safetensors file
// (packaging/safetensors) without reading its data.
func readTensorHeader(path string) (map[string]tensorInfo, error) {
	h, err := safetensors.ReadFileHeader(path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]tensorInfo, len(h.Tensors))
	for _, t := range h.Tensors {
		out[t.Name] = tensorInfo{DType: string(t.DType), Shape: Shape(t.Shape), File: filepath.Base(path)}
	}
	return out, nil
}

// tensors reads the headers of the given weight files of the folder and
// merges them; an unreadable file is reported and skipped.
func (b *folder) tensors(files []string) map[string]tensorInfo {
	return once(b, "tensors:"+strings.Join(files, "\x00"), func() map[string]tensorInfo { return b.readTensors(files) })
}

func (b *folder) readTensors(files []string) map[string]tensorInfo {
	out := map[string]tensorInfo{}
	for _, name := range files {
		h, err := readTensorHeader(filepath.Join(b.dir, name))
		if err != nil {
			b.malformed(name, err)
			continue
		}
		for k, v := range h {
			out[k] = v
		}
	}
	return out
}
