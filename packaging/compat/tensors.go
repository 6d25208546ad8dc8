package compat

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// tensorInfo is one tensor of a safetensors header.
type tensorInfo struct {
	DType string `json:"dtype"`
	Shape Shape  `json:"shape"`
	File  string `json:"-"`
}

// maxHeader is the safetensors reference parser's header limit.
const maxHeader = 100_000_000

// readTensorHeader reads the tensor names, dtypes and shapes of one
// safetensors file without reading its data.
func readTensorHeader(path string) (map[string]tensorInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var n uint64
	if err := binary.Read(f, binary.LittleEndian, &n); err != nil {
		return nil, fmt.Errorf("header length: %w", err)
	}
	if n > maxHeader || n > uint64(st.Size())-8 {
		return nil, fmt.Errorf("header length %d exceeds the file or the %d byte limit", n, maxHeader)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(buf, &raw); err != nil {
		return nil, fmt.Errorf("header JSON: %w", err)
	}
	out := make(map[string]tensorInfo, len(raw))
	for name, m := range raw {
		if name == "__metadata__" {
			continue
		}
		var ti tensorInfo
		if err := json.Unmarshal(m, &ti); err != nil {
			return nil, fmt.Errorf("tensor %s: %w", name, err)
		}
		ti.File = filepath.Base(path)
		out[name] = ti
	}
	return out, nil
}

// tensors reads the headers of the given weight files of the bundle and
// merges them; an unreadable file is reported and skipped.
func (b *bundle) tensors(files []string) map[string]tensorInfo {
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
