//go:build amd64 && !purego

package lora

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

//go:noescape
func bf16ToF32AVX(dst *float32, src *uint16, n int)

//go:noescape
func f32ToBF16AVX(dst *uint16, src *float32, n int)

// decodeBF16 widens little-endian bf16 bytes into dst.
func decodeBF16(src []byte, dst []float32) {
	n := len(dst) &^ 7
	src = src[:2*len(dst)]
	if n > 0 && hasFMA() {
		bf16ToF32AVX(&dst[0], (*uint16)(unsafe.Pointer(&src[0])), n)
	} else {
		n = 0
	}
	for i := n; i < len(dst); i++ {
		dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
	}
}

// encodeBF16 rounds src to little-endian bf16 bytes (ties to even).
func encodeBF16(src []float32, dst []byte) {
	n := len(src) &^ 7
	dst = dst[:2*len(src)]
	if n > 0 && hasFMA() {
		f32ToBF16AVX((*uint16)(unsafe.Pointer(&dst[0])), &src[0], n)
	} else {
		n = 0
	}
	for i := n; i < len(src); i++ {
		binary.LittleEndian.PutUint16(dst[2*i:], safetensors.F32ToBF16(src[i]))
	}
}
