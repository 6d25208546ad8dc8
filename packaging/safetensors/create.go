package safetensors

import (
	"fmt"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// FileWriter writes a planned safetensors file at random offsets, so that
// tensors (or parts of them) can be written concurrently with
// deterministic bytes. The file appears at its path only on Commit.
type FileWriter struct {
	Layout *Layout
	path   string
	f      *state.File
	index  map[string]int
}

// Create plans specs, writes the header into a temporary file next to path
// (internal/state's, mode 0644 once committed) and sizes it.
func Create(path string, specs []Spec, opts WriteOptions) (*FileWriter, error) {
	l, err := Plan(specs, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := state.Create(path, 0o644) // a checkpoint is read by others
	if err != nil {
		return nil, err
	}
	w := &FileWriter{Layout: l, path: path, f: f, index: map[string]int{}}
	for i, t := range l.Tensors {
		w.index[t.Name] = i
	}
	if _, err := f.WriteAt(l.Header, 0); err != nil {
		w.Abort()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Truncate(l.Size()); err != nil {
		w.Abort()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// Path is the final path of the file.
func (w *FileWriter) Path() string { return w.path }

// Tensor returns the planned offsets of tensor name.
func (w *FileWriter) Tensor(name string) (TensorInfo, bool) {
	i, ok := w.index[name]
	if !ok {
		return TensorInfo{}, false
	}
	return w.Layout.Tensors[i], true
}

// WriteAt writes p at byte off of tensor name's data; safe for concurrent
// use on distinct ranges.
func (w *FileWriter) WriteAt(name string, p []byte, off int64) error {
	t, ok := w.Tensor(name)
	if !ok {
		return fmt.Errorf("%s: tensor %q: %w", w.path, name, ErrNotFound)
	}
	if off < 0 || off+int64(len(p)) > t.Len() {
		return fmt.Errorf("%s: tensor %q: write [%d,%d) beyond its %d bytes", w.path, name, off, off+int64(len(p)), t.Len())
	}
	if _, err := w.f.WriteAt(p, w.Layout.DataOffset()+t.Begin+off); err != nil {
		return fmt.Errorf("%s: tensor %q: %w", w.path, name, err)
	}
	return nil
}

// Commit syncs the temporary file and renames it to its path.
func (w *FileWriter) Commit() error { return w.f.Commit() }

// Abort discards the temporary file.
func (w *FileWriter) Abort() { w.f.Abort() }

// Shard splits specs, in the given order, into groups whose data stays
// within maxBytes (a tensor larger than maxBytes gets a shard of its own),
// as transformers' split_torch_state_dict_into_shards does. maxBytes ≤ 0
// means one shard.
func Shard(specs []Spec, maxBytes int64) [][]Spec {
	var out [][]Spec
	var cur []Spec
	var size int64
	for _, s := range specs {
		n := specBytes(s)
		if maxBytes > 0 && len(cur) > 0 && size+n > maxBytes {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, s)
		size += n
	}
	if len(cur) > 0 || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// SpecBytes is the data size of a spec.
func SpecBytes(s Spec) int64 { return specBytes(s) }
