package safetensors

import (
	"fmt"
	"io"
	"os"
)

// File is an open safetensors file whose header has been validated; tensor
// data is read on demand.
type File struct {
	*Header
	Path string
	f    *os.File
}

// Open opens path and validates its header without reading tensor data.
// Errors name the file.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	h, err := ReadHeader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &File{Header: h, Path: path, f: f}, nil
}

// ReadFileHeader validates path's header and closes it.
func ReadFileHeader(path string) (*Header, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Header, nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// Section returns a reader over the raw bytes of the tensor named name.
func (f *File) Section(name string) (*io.SectionReader, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%s: tensor %q: %w", f.Path, name, ErrNotFound)
	}
	return io.NewSectionReader(f.f, f.DataOffset+t.Begin, t.Len()), nil
}

// ReadAt reads len(p) bytes of tensor name's data starting at byte off
// within the tensor.
func (f *File) ReadAt(name string, p []byte, off int64) error {
	t, ok := f.Tensor(name)
	if !ok {
		return fmt.Errorf("%s: tensor %q: %w", f.Path, name, ErrNotFound)
	}
	if off < 0 || off+int64(len(p)) > t.Len() {
		return fmt.Errorf("%s: tensor %q: read [%d,%d) beyond its %d bytes", f.Path, name, off, off+int64(len(p)), t.Len())
	}
	if _, err := f.f.ReadAt(p, f.DataOffset+t.Begin+off); err != nil {
		return fmt.Errorf("%s: tensor %q: %w", f.Path, name, err)
	}
	return nil
}

// Bytes reads the whole data of tensor name. Use it for small tensors only;
// stream large ones with Section or ReadAt.
func (f *File) Bytes(name string) ([]byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%s: tensor %q: %w", f.Path, name, ErrNotFound)
	}
	p := make([]byte, t.Len())
	return p, f.ReadAt(name, p, 0)
}

// Floats reads tensor name as float32 values (BF16, F16 or F32).
func (f *File) Floats(name string) ([]float32, error) {
	t, _ := f.Tensor(name)
	p, err := f.Bytes(name)
	if err != nil {
		return nil, err
	}
	out := make([]float32, t.Elements())
	if err := Decode(t.DType, p, out); err != nil {
		return nil, fmt.Errorf("%s: tensor %q: %w", f.Path, name, err)
	}
	return out, nil
}
