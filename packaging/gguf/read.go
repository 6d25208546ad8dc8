package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// ErrFormat is wrapped by every error about a malformed GGUF file.
var ErrFormat = errors.New("malformed GGUF")

// MaxDims is ggml's GGML_MAX_DIMS.
const MaxDims = 4

// File is a parsed GGUF header: metadata in file order, tensor infos in
// file order, and where the data section starts.
type File struct {
	Version    uint32
	KV         []KV
	Tensors    []TensorInfo
	Alignment  uint64
	DataOffset int64
	Size       int64
}

// Get returns the value of key.
func (f *File) Get(key string) (any, bool) {
	for _, kv := range f.KV {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Tensor returns the info of the tensor named name.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return TensorInfo{}, false
}

// ReadFile parses the header of the GGUF file at path.
func ReadFile(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := Read(fd, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Read parses and validates a GGUF header from r, a file of size bytes.
// Every count and length is checked against the bytes left before anything
// is allocated, so hostile headers cost at most their own size in memory.
func Read(r io.ReaderAt, size int64) (*File, error) {
	d := &decoder{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16), size: size}
	f, err := d.file()
	if err != nil {
		return nil, fmt.Errorf("%w: %v (at byte %d)", ErrFormat, err, d.pos)
	}
	return f, nil
}

type decoder struct {
	r    *bufio.Reader
	pos  int64
	size int64
	buf  [8]byte
}

func (d *decoder) left() int64 { return d.size - d.pos }

func (d *decoder) read(n int) ([]byte, error) {
	if _, err := io.ReadFull(d.r, d.buf[:n]); err != nil {
		return nil, fmt.Errorf("truncated: %w", err)
	}
	d.pos += int64(n)
	return d.buf[:n], nil
}

func (d *decoder) u32() (uint32, error) {
	b, err := d.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) u64() (uint64, error) {
	b, err := d.read(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// count reads a u64 count of items of at least minSize bytes each.
func (d *decoder) count(what string, minSize int64) (int, error) {
	n, err := d.u64()
	if err != nil {
		return 0, err
	}
	if minSize > 0 && n > uint64(d.left()/minSize) {
		return 0, fmt.Errorf("%s count %d exceeds the %d bytes left", what, n, d.left())
	}
	return int(n), nil
}

func (d *decoder) str() (string, error) {
	n, err := d.count("string length", 1)
	if err != nil {
		return "", err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		return "", fmt.Errorf("truncated string: %w", err)
	}
	d.pos += int64(n)
	return string(b), nil
}

func (d *decoder) file() (*File, error) {
	b, err := d.read(4)
	if err != nil {
		return nil, err
	}
	if string(b) != Magic {
		return nil, fmt.Errorf("magic %q is not %q", b, Magic)
	}
	f := &File{Alignment: DefaultAlignment, Size: d.size}
	if f.Version, err = d.u32(); err != nil {
		return nil, err
	}
	if f.Version != 2 && f.Version != 3 {
		return nil, fmt.Errorf("version %d is not supported (2 or 3)", f.Version)
	}
	nt, err := d.count("tensor", 8+4+8+4+8)
	if err != nil {
		return nil, err
	}
	nkv, err := d.count("metadata", 8+4+1)
	if err != nil {
		return nil, err
	}
	if err := d.metadata(f, nkv); err != nil {
		return nil, err
	}
	if err := d.tensors(f, nt); err != nil {
		return nil, err
	}
	return f, f.validate()
}

func (d *decoder) metadata(f *File, n int) error {
	seen := make(map[string]bool, n)
	for range n {
		k, err := d.str()
		if err != nil {
			return err
		}
		if seen[k] {
			return fmt.Errorf("duplicate metadata key %q", k)
		}
		seen[k] = true
		t, err := d.u32()
		if err != nil {
			return err
		}
		v, err := d.value(ValueType(t), true)
		if err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
		f.KV = append(f.KV, KV{k, v})
		if k == "general.alignment" {
			a, ok := v.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return fmt.Errorf("general.alignment %v is not a power of 2 (uint32)", v)
			}
			f.Alignment = uint64(a)
		}
	}
	return nil
}

func (d *decoder) value(t ValueType, arrayOK bool) (any, error) {
	if t == TypeArray {
		if !arrayOK {
			return nil, errors.New("nested arrays are not supported")
		}
		return d.array()
	}
	if t == TypeString {
		return d.str()
	}
	sz := t.size()
	if sz == 0 {
		return nil, fmt.Errorf("unknown value type %d", t)
	}
	b, err := d.read(sz)
	if err != nil {
		return nil, err
	}
	return scalar(t, b), nil
}

func scalar(t ValueType, b []byte) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return b[0]
	case TypeInt8:
		return int8(b[0])
	case TypeBool:
		return b[0] != 0
	case TypeUint16:
		return le.Uint16(b)
	case TypeInt16:
		return int16(le.Uint16(b))
	case TypeUint32:
		return le.Uint32(b)
	case TypeInt32:
		return int32(le.Uint32(b))
	case TypeFloat32:
		return math.Float32frombits(le.Uint32(b))
	case TypeUint64:
		return le.Uint64(b)
	case TypeInt64:
		return int64(le.Uint64(b))
	}
	return math.Float64frombits(le.Uint64(b))
}

func (d *decoder) array() (any, error) {
	et, err := d.u32()
	if err != nil {
		return nil, err
	}
	t := ValueType(et)
	minSize := int64(t.size())
	switch {
	case t == TypeString:
		minSize = 8
	case t == TypeArray:
		return nil, errors.New("nested arrays are not supported")
	case minSize == 0:
		return nil, fmt.Errorf("unknown array element type %d", et)
	}
	n, err := d.count("array element", minSize)
	if err != nil {
		return nil, err
	}
	return d.elements(t, n)
}

func (d *decoder) elements(t ValueType, n int) (any, error) {
	if t == TypeString {
		out := make([]string, n)
		for i := range out {
			s, err := d.str()
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	a := newArray(t, n)
	for i := range n {
		b, err := d.read(t.size())
		if err != nil {
			return nil, err
		}
		a.set(i, scalar(t, b))
	}
	return a.value(), nil
}

func (d *decoder) tensors(f *File, n int) error {
	seen := make(map[string]bool, n)
	for range n {
		name, err := d.str()
		if err != nil {
			return err
		}
		if seen[name] {
			return fmt.Errorf("duplicate tensor %q", name)
		}
		seen[name] = true
		nd, err := d.u32()
		if err != nil {
			return err
		}
		if nd > MaxDims {
			return fmt.Errorf("tensor %q has %d dimensions (at most %d)", name, nd, MaxDims)
		}
		t := TensorInfo{Name: name, Shape: make([]uint64, nd)}
		for i := range t.Shape {
			if t.Shape[i], err = d.u64(); err != nil {
				return err
			}
		}
		ty, err := d.u32()
		if err != nil {
			return err
		}
		t.Type = Type(ty)
		if t.Offset, err = d.u64(); err != nil {
			return err
		}
		f.Tensors = append(f.Tensors, t)
	}
	f.DataOffset = int64(align(uint64(d.pos), f.Alignment))
	return nil
}

// validate checks what llama.cpp's gguf_init checks: known types, rows a
// multiple of the block size, sizes without overflow, offsets aligned and
// in tensor-info order, and data inside the file.
func (f *File) validate() error {
	next := uint64(0)
	for _, t := range f.Tensors {
		if !t.Type.Known() {
			return fmt.Errorf("tensor %q has unknown type %d", t.Name, uint32(t.Type))
		}
		for _, dim := range t.Shape {
			if dim > math.MaxInt64/8 {
				return fmt.Errorf("tensor %q has dimension %d", t.Name, dim)
			}
		}
		n, err := t.Bytes()
		if err != nil {
			return err
		}
		if t.Offset != next {
			return fmt.Errorf("tensor %q has offset %d, expected %d", t.Name, t.Offset, next)
		}
		next = align(t.Offset+uint64(n), f.Alignment)
		if int64(t.Offset)+n > f.Size-f.DataOffset {
			return fmt.Errorf("tensor %q data [%d,%d) runs past the end of the file", t.Name, t.Offset, int64(t.Offset)+n)
		}
	}
	return nil
}

func align(n, a uint64) uint64 { return (n + a - 1) / a * a }

// Section returns a reader over the data of tensor name in r, the file f
// was read from.
func (f *File) Section(r io.ReaderAt, name string) (*io.SectionReader, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("no tensor %q", name)
	}
	n, err := t.Bytes()
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(r, f.DataOffset+int64(t.Offset), n), nil
}
