package breaks

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// editJSON rewrites a JSON object file through f; an absent file starts
// as {}.
func editJSON(dir, name string, f func(m map[string]any) error) error {
	path := filepath.Join(dir, name)
	m := map[string]any{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if err := f(m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeFile(path, out)
}

// writeFile replaces path atomically.
func writeFile(path string, data []byte) error { return state.WriteFile(path, data, 0o644) }

// copyFile copies src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

// list returns m[key] as a list of objects.
func objList(m map[string]any, key string) ([]map[string]any, error) {
	l, ok := m[key].([]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a list", key)
	}
	out := make([]map[string]any, len(l))
	for i, e := range l {
		if out[i], ok = e.(map[string]any); !ok {
			return nil, fmt.Errorf("%s[%d] is not an object", key, i)
		}
	}
	return out, nil
}

// subObj returns m[key] as an object, creating it.
func subObj(m map[string]any, key string) map[string]any {
	s, ok := m[key].(map[string]any)
	if !ok {
		s = map[string]any{}
		m[key] = s
	}
	return s
}

// rewriteTensors rewrites a safetensors file with the specs edit returns:
// a tensor kept with its dtype and shape keeps its data, any other is
// zero-filled. Data streams tensor by tensor.
func rewriteTensors(path string, edit func([]safetensors.Spec) []safetensors.Spec) (err error) {
	src, err := safetensors.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	var specs []safetensors.Spec
	old := map[string]safetensors.Spec{}
	for _, t := range src.Tensors {
		s := safetensors.Spec{Name: t.Name, DType: t.DType, Shape: t.Shape}
		specs = append(specs, s)
		old[t.Name] = s
	}
	specs = edit(specs)
	opts := safetensors.WriteOptions{Metadata: src.Metadata, NoMetadata: src.Metadata == nil}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w, err := safetensors.NewWriter(f, specs, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, t := range w.Order() {
		var r io.Reader = io.LimitReader(zeros{}, t.Len())
		if o, ok := old[t.Name]; ok && o.DType == t.DType && slices.Equal(o.Shape, t.Shape) {
			if r, err = src.Section(t.Name); err != nil {
				return err
			}
		}
		if err := w.WriteTensor(t.Name, r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := errors.Join(w.Close(), f.Close()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return state.Rename(tmp, path)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
