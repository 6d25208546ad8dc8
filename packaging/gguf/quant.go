package gguf

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// The quantizers below are ports of ggml-quants.c's reference quantizers
// (quantize_row_*_ref), what llama.cpp's quantizer runs when no importance
// matrix is given. They must stay bit-identical: every float32 operation is
// done in the same order as the C code, and explicit float32 conversions
// keep the compiler from fusing multiply-adds.

// groupMaxEps is ggml's GROUP_MAX_EPS.
const groupMaxEps = float32(1e-15)

// Quantize encodes src (a whole number of rows of the type's block size)
// as t into dst, which must be exactly t's size for len(src) elements.
func Quantize(t Type, src []float32, dst []byte) error {
	n, err := t.RowBytes(int64(len(src)))
	if err != nil {
		return err
	}
	if int64(len(dst)) != n {
		return fmt.Errorf("%s: destination of %d bytes for %d elements (want %d)", t, len(dst), len(src), n)
	}
	switch t {
	case F32:
		return safetensors.Encode(safetensors.F32, src, dst)
	case F16:
		return safetensors.Encode(safetensors.F16, src, dst)
	case BF16:
		return safetensors.Encode(safetensors.BF16, src, dst)
	case Q8_0:
		quantizeQ8_0(src, dst)
	case Q5_0:
		quantizeQ5_0(src, dst)
	case Q4_K:
		var s q4kScratch
		for i := 0; i < len(src); i += QK_K {
			s.block(src[i:i+QK_K], dst[i/QK_K*144:][:144])
		}
	case Q6_K:
		for i := 0; i < len(src); i += QK_K {
			quantizeQ6_KBlock(src[i:i+QK_K], dst[i/QK_K*210:][:210])
		}
	default:
		return fmt.Errorf("quantizing to %s is not supported", t)
	}
	return nil
}

func fp16(f float32) uint16 { return safetensors.F32ToF16(f) }

func fp32(h uint16) float32 { return safetensors.F16ToF32(h) }

// nearestInt is ggml's nearest_int: round half to even through the float
// mantissa trick, valid for |f| ≤ 4194303.
func nearestInt(f float32) int32 {
	v := f + 12582912
	i := int32(math.Float32bits(v))
	return (i & 0x007fffff) - 0x00400000
}

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

// roundInt is C's roundf (half away from zero) as an integer, for
// |f| < 2^31: f ± 0.5 is exact in float64, truncation does the rest, and
// no branch depends on the data.
func roundInt(f float32) int32 {
	x := float64(f)
	return int32(x + math.Copysign(0.5, x))
}

func quantizeQ8_0(x []float32, y []byte) {
	for i := 0; i < len(x)/32; i++ {
		q8Block((*[32]float32)(x[i*32:]), (*[34]byte)(y[i*34:]))
	}
}

// quantizeQ8_0BF16 is quantizeQ8_0 of little-endian bfloat16 values,
// decoded a block at a time (bfloat16 to float32 is exact, so the bytes
// are quantizeQ8_0's).
func quantizeQ8_0BF16(x, y []byte) {
	var f [32]float32
	for i := 0; i < len(x)/64; i++ {
		xb := (*[64]byte)(x[i*64:])
		for j := range f {
			f[j] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(xb[2*j:])) << 16)
		}
		q8Block(&f, (*[34]byte)(y[i*34:]))
	}
}

func q8Block(xb *[32]float32, yb *[34]byte) {
	// The bits of |v| order like |v|: an integer max, no branches.
	var abits uint32
	for _, v := range xb {
		abits = max(abits, math.Float32bits(v)&^(1<<31))
	}
	d := math.Float32frombits(abits) / 127
	id := float32(0)
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(yb[:], fp16(d))
	for j, v := range xb {
		yb[2+j] = byte(int8(roundInt(v * id)))
	}
}

func quantizeQ5_0(x []float32, y []byte) {
	for i := 0; i < len(x)/32; i++ {
		xb, yb := x[i*32:][:32], y[i*22:][:22]
		amax, mx := float32(0), float32(0)
		for _, v := range xb {
			if amax < abs32(v) {
				amax, mx = abs32(v), v
			}
		}
		d := mx / -16
		id := float32(0)
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(yb, fp16(d))
		var qh uint32
		for j := 0; j < 16; j++ {
			x0, x1 := float32(xb[j]*id), float32(xb[16+j]*id)
			xi0 := min(31, uint8(int8(x0+16.5)))
			xi1 := min(31, uint8(int8(x1+16.5)))
			yb[6+j] = xi0&0x0f | (xi1&0x0f)<<4
			qh |= uint32(xi0&0x10) >> 4 << j
			qh |= uint32(xi1&0x10) >> 4 << (j + 16)
		}
		binary.LittleEndian.PutUint32(yb[2:], qh)
	}
}

func sqrt32(f float32) float32 { return float32(math.Sqrt(float64(f))) }
