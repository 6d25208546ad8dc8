package lora

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// TestBF16Kernels compares the vector conversions with the scalar ones on
// random and special values, with lengths that exercise the tails.
func TestBF16Kernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0xffc00000),
		math.Float32frombits(0x3f808000), math.Float32frombits(0x3f818000), math.Float32frombits(0x7f7fffff),
		math.Float32frombits(0x00000001), math.Float32frombits(0x807fffff), 3.3895314e38}
	for _, n := range []int{0, 1, 7, 8, 9, 31, 64, 1001} {
		src := make([]float32, n)
		for i := range src {
			if i < len(special) && n > 8 {
				src[i] = special[i]
			} else {
				src[i] = math.Float32frombits(r.Uint32())
			}
		}
		out := make([]byte, 2*n)
		encodeBF16(src, out)
		for i, f := range src {
			want := safetensors.F32ToBF16(f)
			if got := binary.LittleEndian.Uint16(out[2*i:]); got != want {
				t.Fatalf("n=%d: bf16(%#x) = %#x, want %#x", n, math.Float32bits(f), got, want)
			}
		}
		back := make([]float32, n)
		decodeBF16(out, back)
		for i := range back {
			want := safetensors.BF16ToF32(binary.LittleEndian.Uint16(out[2*i:]))
			if math.Float32bits(back[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: decode %d = %#x, want %#x", n, i, math.Float32bits(back[i]), math.Float32bits(want))
			}
		}
	}
}
