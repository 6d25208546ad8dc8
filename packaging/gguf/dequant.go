package gguf

import (
	"encoding/binary"
	"fmt"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// Dequantize decodes len(dst) elements of type t from src (ggml's
// dequantize_row_* for the types Quantize writes).
func Dequantize(t Type, src []byte, dst []float32) error {
	n, err := t.RowBytes(int64(len(dst)))
	if err != nil {
		return err
	}
	if int64(len(src)) < n {
		return fmt.Errorf("%s: %d bytes for %d elements (want %d)", t, len(src), len(dst), n)
	}
	switch t {
	case F32:
		return safetensors.Decode(safetensors.F32, src, dst)
	case F16:
		return safetensors.Decode(safetensors.F16, src, dst)
	case BF16:
		return safetensors.Decode(safetensors.BF16, src, dst)
	case Q8_0:
		for i := 0; i < len(dst)/32; i++ {
			b := src[i*34:]
			d := fp32(binary.LittleEndian.Uint16(b))
			for j := 0; j < 32; j++ {
				dst[i*32+j] = float32(int8(b[2+j])) * d
			}
		}
	case Q5_0:
		for i := 0; i < len(dst)/32; i++ {
			b := src[i*22:]
			d := fp32(binary.LittleEndian.Uint16(b))
			qh := binary.LittleEndian.Uint32(b[2:])
			for j := 0; j < 16; j++ {
				h0 := uint8(qh>>j<<4) & 0x10
				h1 := uint8(qh>>(j+12)) & 0x10
				dst[i*32+j] = float32(int32(b[6+j]&0xf|h0)-16) * d
				dst[i*32+j+16] = float32(int32(b[6+j]>>4|h1)-16) * d
			}
		}
	case Q4_K:
		for i := 0; i < len(dst)/QK_K; i++ {
			dequantQ4_K(src[i*144:][:144], dst[i*QK_K:][:QK_K])
		}
	case Q6_K:
		for i := 0; i < len(dst)/QK_K; i++ {
			dequantQ6_K(src[i*210:][:210], dst[i*QK_K:][:QK_K])
		}
	default:
		return fmt.Errorf("dequantizing %s is not supported", t)
	}
	return nil
}

func dequantQ4_K(b []byte, y []float32) {
	d := fp32(binary.LittleEndian.Uint16(b))
	mn := fp32(binary.LittleEndian.Uint16(b[2:]))
	sc, q := b[4:16], b[16:]
	is := 0
	for j := 0; j < QK_K; j += 64 {
		s1, m1 := scaleMinK4(is, sc)
		s2, m2 := scaleMinK4(is+1, sc)
		d1, mm1 := d*float32(s1), mn*float32(m1)
		d2, mm2 := d*float32(s2), mn*float32(m2)
		for l := 0; l < 32; l++ {
			y[j+l] = d1*float32(q[l]&0xf) - mm1
			y[j+32+l] = d2*float32(q[l]>>4) - mm2
		}
		q = q[32:]
		is += 2
	}
}

func dequantQ6_K(b []byte, y []float32) {
	d := fp32(binary.LittleEndian.Uint16(b[208:]))
	ql, qh, sc := b[0:128], b[128:192], b[192:208]
	for n := 0; n < QK_K; n += 128 {
		for l := 0; l < 32; l++ {
			is := l / 16
			q1 := int8(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
			q2 := int8(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
			q3 := int8(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
			q4 := int8(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
			y[n+l] = d * float32(int8(sc[is])) * float32(q1)
			y[n+l+32] = d * float32(int8(sc[is+2])) * float32(q2)
			y[n+l+64] = d * float32(int8(sc[is+4])) * float32(q3)
			y[n+l+96] = d * float32(int8(sc[is+6])) * float32(q4)
		}
		ql, qh, sc = ql[64:], qh[32:], sc[8:]
	}
}
