//go:build !amd64 || purego

package lora

import (
	"encoding/binary"
	"math"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

func hasFMA() bool { return false }

func axpy4(row, a0, a1, a2, a3 []float32, b *[4]float32) { axpy4Go(row, a0, a1, a2, a3, b) }

func decodeBF16(src []byte, dst []float32) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
	}
}

func encodeBF16(src []float32, dst []byte) {
	dst = dst[:2*len(src)]
	for i, f := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], safetensors.F32ToBF16(f))
	}
}
