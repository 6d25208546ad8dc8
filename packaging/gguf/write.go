package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Writer streams a GGUF file: the header (metadata and every tensor info,
// offsets computed) is written by NewWriter, then each tensor's data in
// tensor-info order, each padded to the alignment. It holds one buffer,
// never the model.
type Writer struct {
	dst     io.Writer
	w       *bufio.Writer
	infos   []TensorInfo
	align   uint64
	next    int // index of the next tensor to write
	pos     uint64
	scratch []byte
}

// NewWriter writes the header of a GGUF v3 file to w. The alignment is
// general.alignment when kv has it (a power-of-2 uint32), else 32. Tensor
// offsets in infos are ignored and recomputed.
func NewWriter(w io.Writer, kv []KV, infos []TensorInfo) (*Writer, error) {
	gw := &Writer{dst: w, w: bufio.NewWriterSize(w, 1<<20), align: DefaultAlignment}
	seen := map[string]bool{}
	for _, e := range kv {
		if seen[e.Key] {
			return nil, fmt.Errorf("duplicate metadata key %q", e.Key)
		}
		seen[e.Key] = true
		if e.Key == "general.alignment" {
			a, ok := e.Value.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return nil, fmt.Errorf("general.alignment %v is not a power-of-2 uint32", e.Value)
			}
			gw.align = uint64(a)
		}
	}
	if err := gw.layout(infos); err != nil {
		return nil, err
	}
	if err := gw.header(kv); err != nil {
		return nil, err
	}
	return gw, nil
}

func (gw *Writer) layout(infos []TensorInfo) error {
	seen := map[string]bool{}
	off := uint64(0)
	for _, t := range infos {
		if seen[t.Name] {
			return fmt.Errorf("duplicate tensor %q", t.Name)
		}
		seen[t.Name] = true
		if len(t.Shape) == 0 || len(t.Shape) > MaxDims {
			return fmt.Errorf("tensor %q has %d dimensions (1 to %d)", t.Name, len(t.Shape), MaxDims)
		}
		n, err := t.Bytes()
		if err != nil {
			return err
		}
		t.Shape = append([]uint64(nil), t.Shape...)
		t.Offset = off
		gw.infos = append(gw.infos, t)
		off = align(off+uint64(n), gw.align)
	}
	return nil
}

// Infos returns the tensor infos with their offsets, in write order.
func (gw *Writer) Infos() []TensorInfo { return gw.infos }

func (gw *Writer) header(kv []KV) error {
	e := &encoder{w: gw.w}
	e.bytes([]byte(Magic))
	e.u32(Version)
	e.u64(uint64(len(gw.infos)))
	e.u64(uint64(len(kv)))
	for _, x := range kv {
		e.str(x.Key)
		if err := e.value(x.Value); err != nil {
			return fmt.Errorf("metadata %q: %w", x.Key, err)
		}
	}
	for _, t := range gw.infos {
		e.str(t.Name)
		e.u32(uint32(len(t.Shape)))
		for _, d := range t.Shape {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(t.Offset)
	}
	if e.err != nil {
		return e.err
	}
	return gw.pad(e.n)
}

func (gw *Writer) pad(n uint64) error {
	p := align(n, gw.align) - n
	if len(gw.scratch) < int(p) {
		gw.scratch = make([]byte, p)
	}
	_, err := gw.w.Write(gw.scratch[:p])
	return err
}

// ErrOrder is returned when tensors are written out of tensor-info order.
var ErrOrder = errors.New("tensor written out of order")

// WriteTensor writes the data of the next tensor, name, by calling fill
// with a writer that must receive exactly the tensor's byte size.
func (gw *Writer) WriteTensor(name string, fill func(io.Writer) error) error {
	if gw.next >= len(gw.infos) || gw.infos[gw.next].Name != name {
		return fmt.Errorf("%w: %q", ErrOrder, name)
	}
	t := gw.infos[gw.next]
	want, _ := t.Bytes()
	cw := &countWriter{gw: gw}
	if err := fill(cw); err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	if cw.n != want {
		return fmt.Errorf("tensor %q: wrote %d bytes, its shape needs %d", name, cw.n, want)
	}
	gw.next++
	if gw.next < len(gw.infos) {
		return gw.pad(uint64(want))
	}
	return nil
}

// Close flushes the file; it fails when a tensor was not written.
func (gw *Writer) Close() error {
	if gw.next != len(gw.infos) {
		return fmt.Errorf("tensor %q was not written", gw.infos[gw.next].Name)
	}
	return gw.w.Flush()
}

// countWriter counts a tensor's bytes. Its ReadFrom lets io.Copy from a
// file reach the destination file's ReadFrom (copy_file_range on Linux)
// after flushing the buffer: a tensor copied unchanged never passes
// through user space.
type countWriter struct {
	gw *Writer
	n  int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.gw.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countWriter) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := c.gw.dst.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{c}, r)
	}
	if err := c.gw.w.Flush(); err != nil {
		return 0, err
	}
	n, err := rf.ReadFrom(r)
	c.n += n
	return n, err
}

type encoder struct {
	w   io.Writer
	n   uint64
	err error
	b   [8]byte
}

func (e *encoder) bytes(p []byte) {
	if e.err != nil {
		return
	}
	_, e.err = e.w.Write(p)
	e.n += uint64(len(p))
}

func (e *encoder) u32(v uint32) { binary.LittleEndian.PutUint32(e.b[:], v); e.bytes(e.b[:4]) }
func (e *encoder) u64(v uint64) { binary.LittleEndian.PutUint64(e.b[:], v); e.bytes(e.b[:8]) }
func (e *encoder) str(s string) { e.u64(uint64(len(s))); e.bytes([]byte(s)) }

func (e *encoder) value(v any) error {
	if t, ok := scalarType(v); ok {
		e.u32(uint32(t))
		e.scalar(v)
		return nil
	}
	if s, ok := v.(string); ok {
		e.u32(uint32(TypeString))
		e.str(s)
		return nil
	}
	return e.array(v)
}

func scalarType(v any) (ValueType, bool) {
	switch v.(type) {
	case uint8:
		return TypeUint8, true
	case int8:
		return TypeInt8, true
	case bool:
		return TypeBool, true
	case uint16:
		return TypeUint16, true
	case int16:
		return TypeInt16, true
	case uint32:
		return TypeUint32, true
	case int32:
		return TypeInt32, true
	case float32:
		return TypeFloat32, true
	case uint64:
		return TypeUint64, true
	case int64:
		return TypeInt64, true
	case float64:
		return TypeFloat64, true
	}
	return 0, false
}

func (e *encoder) scalar(v any) {
	switch x := v.(type) {
	case uint8:
		e.bytes([]byte{x})
	case int8:
		e.bytes([]byte{byte(x)})
	case bool:
		b := byte(0)
		if x {
			b = 1
		}
		e.bytes([]byte{b})
	case uint16:
		binary.LittleEndian.PutUint16(e.b[:], x)
		e.bytes(e.b[:2])
	case int16:
		binary.LittleEndian.PutUint16(e.b[:], uint16(x))
		e.bytes(e.b[:2])
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	}
}

func (e *encoder) array(v any) error {
	head := func(t ValueType, n int) { e.u32(uint32(TypeArray)); e.u32(uint32(t)); e.u64(uint64(n)) }
	switch s := v.(type) {
	case []string:
		head(TypeString, len(s))
		for _, x := range s {
			e.str(x)
		}
	case []uint8:
		head(TypeUint8, len(s))
		e.bytes(s)
	case []int8:
		eachScalar(e, head, TypeInt8, s)
	case []bool:
		eachScalar(e, head, TypeBool, s)
	case []uint16:
		eachScalar(e, head, TypeUint16, s)
	case []int16:
		eachScalar(e, head, TypeInt16, s)
	case []uint32:
		eachScalar(e, head, TypeUint32, s)
	case []int32:
		eachScalar(e, head, TypeInt32, s)
	case []float32:
		eachScalar(e, head, TypeFloat32, s)
	case []uint64:
		eachScalar(e, head, TypeUint64, s)
	case []int64:
		eachScalar(e, head, TypeInt64, s)
	case []float64:
		eachScalar(e, head, TypeFloat64, s)
	default:
		return fmt.Errorf("unsupported metadata value type %T", v)
	}
	return nil
}

func eachScalar[T any](e *encoder, head func(ValueType, int), t ValueType, s []T) {
	head(t, len(s))
	for _, x := range s {
		e.scalar(x)
	}
}
