package gguf

import "fmt"

// Type is a ggml tensor type (ggml.h enum ggml_type).
type Type uint32

// The tensor types ckpt reads and writes. Other ggml types are read as
// opaque blocks when their sizes are known.
const (
	F32  Type = 0
	F16  Type = 1
	Q4_0 Type = 2
	Q4_1 Type = 3
	Q5_0 Type = 6
	Q5_1 Type = 7
	Q8_0 Type = 8
	Q8_1 Type = 9
	Q2_K Type = 10
	Q3_K Type = 11
	Q4_K Type = 12
	Q5_K Type = 13
	Q6_K Type = 14
	Q8_K Type = 15
	I8   Type = 24
	I16  Type = 25
	I32  Type = 26
	I64  Type = 27
	F64  Type = 28
	BF16 Type = 30
)

// QK_K is the super-block size of the K-quants.
const QK_K = 256

type typeInfo struct {
	name  string
	block int // elements per block
	size  int // bytes per block
}

func typeTable(t Type) (typeInfo, bool) {
	switch t {
	case F32:
		return typeInfo{"F32", 1, 4}, true
	case F16:
		return typeInfo{"F16", 1, 2}, true
	case Q4_0:
		return typeInfo{"Q4_0", 32, 18}, true
	case Q4_1:
		return typeInfo{"Q4_1", 32, 20}, true
	case Q5_0:
		return typeInfo{"Q5_0", 32, 22}, true
	case Q5_1:
		return typeInfo{"Q5_1", 32, 24}, true
	case Q8_0:
		return typeInfo{"Q8_0", 32, 34}, true
	case Q8_1:
		return typeInfo{"Q8_1", 32, 36}, true
	case Q2_K:
		return typeInfo{"Q2_K", QK_K, 84}, true
	case Q3_K:
		return typeInfo{"Q3_K", QK_K, 110}, true
	case Q4_K:
		return typeInfo{"Q4_K", QK_K, 144}, true
	case Q5_K:
		return typeInfo{"Q5_K", QK_K, 176}, true
	case Q6_K:
		return typeInfo{"Q6_K", QK_K, 210}, true
	case Q8_K:
		return typeInfo{"Q8_K", QK_K, 292}, true
	case I8:
		return typeInfo{"I8", 1, 1}, true
	case I16:
		return typeInfo{"I16", 1, 2}, true
	case I32:
		return typeInfo{"I32", 1, 4}, true
	case I64:
		return typeInfo{"I64", 1, 8}, true
	case F64:
		return typeInfo{"F64", 1, 8}, true
	case BF16:
		return typeInfo{"BF16", 1, 2}, true
	}
	return typeInfo{}, false
}

// Known reports whether ckpt knows t's block layout.
func (t Type) Known() bool { _, ok := typeTable(t); return ok }

// String is ggml's name of the type (ggml_type_name).
func (t Type) String() string {
	if i, ok := typeTable(t); ok {
		return i.name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// BlockSize is the number of elements per block (1 for plain types).
func (t Type) BlockSize() int { i, _ := typeTable(t); return i.block }

// BlockBytes is the number of bytes per block.
func (t Type) BlockBytes() int { i, _ := typeTable(t); return i.size }

// RowBytes is the size of a row of n elements, or an error when n is not a
// multiple of the block size (ggml_row_size).
func (t Type) RowBytes(n int64) (int64, error) {
	i, ok := typeTable(t)
	if !ok {
		return 0, fmt.Errorf("unknown tensor type %d", uint32(t))
	}
	if n < 0 || n%int64(i.block) != 0 {
		return 0, fmt.Errorf("row of %d elements is not a multiple of %s's block of %d", n, i.name, i.block)
	}
	return n / int64(i.block) * int64(i.size), nil
}

// ValueType is the type tag of a metadata value (gguf.h enum gguf_type).
type ValueType uint32

// Metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

// size is the encoded size of a scalar type, 0 for strings and arrays.
func (v ValueType) size() int {
	switch v {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// KV is one metadata entry. Value is a Go uint8, int8, uint16, int16,
// uint32, int32, float32, bool, string, uint64, int64 or float64, or a slice
// of one of them (a GGUF array).
type KV struct {
	Key   string
	Value any
}

// TensorInfo describes one tensor. Shape is in ggml order: Shape[0] is the
// row length (the innermost, contiguous dimension), the reverse of the
// safetensors/numpy shape. Offset is relative to the data section.
type TensorInfo struct {
	Name   string
	Shape  []uint64
	Type   Type
	Offset uint64
}

// Elements is the number of elements.
func (t TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Bytes is the size of the tensor's data.
func (t TensorInfo) Bytes() (int64, error) {
	if len(t.Shape) == 0 {
		return t.Type.RowBytes(1)
	}
	row, err := t.Type.RowBytes(int64(t.Shape[0]))
	if err != nil {
		return 0, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	n := row
	for _, d := range t.Shape[1:] {
		if d != 0 && n > (1<<62)/int64(d) {
			return 0, fmt.Errorf("tensor %q: size overflows", t.Name)
		}
		n *= int64(d)
	}
	return n, nil
}

// Magic and version of the files ckpt writes.
const (
	Magic            = "GGUF"
	Version          = 3
	DefaultAlignment = 32
)
