package safetensors

import "fmt"

// DType is a safetensors element type, spelled as in the header ("BF16").
type DType string

// The dtypes of the reference enum, in alignment order (smallest first).
const (
	BOOL       DType = "BOOL"
	F4         DType = "F4"
	F6E2M3     DType = "F6_E2M3"
	F6E3M2     DType = "F6_E3M2"
	U8         DType = "U8"
	I8         DType = "I8"
	F8E5M2     DType = "F8_E5M2"
	F8E4M3     DType = "F8_E4M3"
	F8E8M0     DType = "F8_E8M0"
	F8E4M3FNUZ DType = "F8_E4M3FNUZ"
	F8E5M2FNUZ DType = "F8_E5M2FNUZ"
	I16        DType = "I16"
	U16        DType = "U16"
	F16        DType = "F16"
	BF16       DType = "BF16"
	I32        DType = "I32"
	U32        DType = "U32"
	F32        DType = "F32"
	C64        DType = "C64"
	F64        DType = "F64"
	I64        DType = "I64"
	U64        DType = "U64"
)

// dtypeOrder lists the dtypes in the reference enum order with their bits.
var dtypeOrder = [...]struct {
	d    DType
	bits uint64
}{
	{BOOL, 8}, {F4, 4}, {F6E2M3, 6}, {F6E3M2, 6}, {U8, 8}, {I8, 8}, {F8E5M2, 8}, {F8E4M3, 8},
	{F8E8M0, 8}, {F8E4M3FNUZ, 8}, {F8E5M2FNUZ, 8}, {I16, 16}, {U16, 16}, {F16, 16}, {BF16, 16},
	{I32, 32}, {U32, 32}, {F32, 32}, {C64, 64}, {F64, 64}, {I64, 64}, {U64, 64},
}

// Bits returns the size of one element in bits, or 0 for an unknown dtype.
func (d DType) Bits() uint64 {
	for _, e := range dtypeOrder {
		if e.d == d {
			return e.bits
		}
	}
	return 0
}

// Size returns the size of one element in bytes (rounded up for F4/F6).
func (d DType) Size() int { return int((d.Bits() + 7) / 8) }

// Valid reports whether d is a dtype of the reference enum.
func (d DType) Valid() bool { return d.Bits() != 0 }

// rank is d's position in the reference enum (its alignment order).
func (d DType) rank() int {
	for i, e := range dtypeOrder {
		if e.d == d {
			return i
		}
	}
	return -1
}

// ShortName returns ckpt's short name (bf16, fp16, fp32) for a float dtype,
// or the lower-case dtype for others.
func (d DType) ShortName() string {
	switch d {
	case BF16:
		return "bf16"
	case F16:
		return "fp16"
	case F32:
		return "fp32"
	case F64:
		return "fp64"
	}
	b := []byte(d)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// ParseShortName maps ckpt's short names (bf16, fp16, fp32, and the
// safetensors spellings) to a float dtype.
func ParseShortName(s string) (DType, error) {
	switch s {
	case "bf16", "bfloat16", "BF16":
		return BF16, nil
	case "fp16", "f16", "float16", "F16":
		return F16, nil
	case "fp32", "f32", "float32", "F32":
		return F32, nil
	}
	return "", fmt.Errorf("unsupported dtype %q (want bf16, fp16 or fp32)", s)
}
