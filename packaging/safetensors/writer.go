package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// Spec names a tensor to write: its dtype and shape.
type Spec struct {
	Name  string
	DType DType
	Shape []int64
}

// WriteOptions configure a header. The zero value writes
// {"format":"pt"} metadata, as PEFT and transformers do.
type WriteOptions struct {
	// Metadata replaces the default {"format":"pt"}.
	Metadata map[string]string
	// NoMetadata omits __metadata__ (mistral-finetune's native files).
	NoMetadata bool
}

// Layout is the planned header of a file: its bytes (length prefix
// included) and each tensor's offsets, in data order.
type Layout struct {
	Header  []byte
	Tensors []TensorInfo
}

// DataOffset is the file offset of the data buffer.
func (l *Layout) DataOffset() int64 { return int64(len(l.Header)) }

// Size is the file size.
func (l *Layout) Size() int64 {
	if len(l.Tensors) == 0 {
		return l.DataOffset()
	}
	return l.DataOffset() + l.Tensors[len(l.Tensors)-1].End
}

// Plan orders tensors as the reference writer does (descending dtype
// alignment, then name), assigns contiguous offsets and renders the header
// padded with spaces to a multiple of 8 bytes.
func Plan(specs []Spec, opts WriteOptions) (*Layout, error) {
	sorted := append([]Spec(nil), specs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.DType.rank() != b.DType.rank() {
			return a.DType.rank() > b.DType.rank()
		}
		return a.Name < b.Name
	})
	l := &Layout{}
	var off int64
	seen := map[string]bool{}
	for _, s := range sorted {
		if err := checkSpec(s, seen); err != nil {
			return nil, err
		}
		t := TensorInfo{Name: s.Name, DType: s.DType, Shape: s.Shape, Begin: off}
		t.End = off + specBytes(s)
		off = t.End
		l.Tensors = append(l.Tensors, t)
	}
	l.Header = renderHeader(l.Tensors, opts)
	return l, nil
}

func checkSpec(s Spec, seen map[string]bool) error {
	if !s.DType.Valid() {
		return fmt.Errorf("tensor %q: %w %q", s.Name, ErrUnknownDType, s.DType)
	}
	if seen[s.Name] || s.Name == "__metadata__" {
		return fmt.Errorf("tensor %q: %w", s.Name, ErrDuplicateKey)
	}
	seen[s.Name] = true
	n := s.DType.Bits()
	for _, d := range s.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: negative dimension %d", s.Name, d)
		}
		n *= uint64(d)
	}
	if n%8 != 0 {
		return fmt.Errorf("tensor %q: %w", s.Name, ErrMisaligned)
	}
	return nil
}

func specBytes(s Spec) int64 {
	n := int64(s.DType.Bits())
	for _, d := range s.Shape {
		n *= d
	}
	return n / 8
}

func renderHeader(ts []TensorInfo, opts WriteOptions) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	if !opts.NoMetadata {
		md := opts.Metadata
		if md == nil {
			md = map[string]string{"format": "pt"}
		}
		m, _ := json.Marshal(md)
		b.WriteString(`"__metadata__":`)
		b.Write(m)
	}
	for i, t := range ts {
		if i > 0 || !opts.NoMetadata {
			b.WriteString(",")
		}
		name, _ := json.Marshal(t.Name)
		shape := t.Shape
		if shape == nil {
			shape = []int64{}
		}
		sh, _ := json.Marshal(shape)
		fmt.Fprintf(&b, `%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, name, t.DType, sh, t.Begin, t.End)
	}
	b.WriteString("}")
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	out := make([]byte, 8, 8+b.Len())
	binary.LittleEndian.PutUint64(out, uint64(b.Len()))
	return append(out, b.Bytes()...)
}

// Writer streams a safetensors file: the header first, then each tensor's
// bytes in the planned order.
type Writer struct {
	w      io.Writer
	layout *Layout
	next   int   // index of the tensor being written
	done   int64 // bytes of the current tensor written
}

// NewWriter plans the header, writes it to w and returns a Writer that
// expects the tensors' data in Order().
func NewWriter(w io.Writer, specs []Spec, opts WriteOptions) (*Writer, error) {
	l, err := Plan(specs, opts)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(l.Header); err != nil {
		return nil, err
	}
	return &Writer{w: w, layout: l}, nil
}

// Order returns the tensors in the order their data must be written.
func (w *Writer) Order() []TensorInfo { return w.layout.Tensors }

// WriteTensor copies exactly the tensor's byte count from r; name must be
// the next tensor of Order().
func (w *Writer) WriteTensor(name string, r io.Reader) error {
	if w.next >= len(w.layout.Tensors) || w.layout.Tensors[w.next].Name != name {
		return fmt.Errorf("tensor %q: written out of order", name)
	}
	t := w.layout.Tensors[w.next]
	n, err := io.Copy(w.w, io.LimitReader(r, t.Len()))
	if err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	if n != t.Len() {
		return fmt.Errorf("tensor %q: got %d bytes, want %d", name, n, t.Len())
	}
	w.next++
	return nil
}

// Close checks that every tensor was written.
func (w *Writer) Close() error {
	if w.next != len(w.layout.Tensors) {
		return fmt.Errorf("%d of %d tensors written", w.next, len(w.layout.Tensors))
	}
	return nil
}

// Tensor is an in-memory tensor for WriteFile.
type Tensor struct {
	Spec
	Data []byte
}

// WriteFile writes small in-memory tensors to path atomically and durably
// (internal/state's temp file, fsync, rename), mode 0644.
func WriteFile(path string, tensors []Tensor, opts WriteOptions) (err error) {
	specs := make([]Spec, len(tensors))
	data := map[string][]byte{}
	for i, t := range tensors {
		specs[i] = t.Spec
		data[t.Name] = t.Data
	}
	f, err := state.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Abort()
		}
	}()
	w, err := NewWriter(f, specs, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, t := range w.Order() {
		if err := w.WriteTensor(t.Name, bytes.NewReader(data[t.Name])); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Commit()
}
