package lora

import (
	"context"
	"encoding/binary"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// lora32 is a contribution in float32: A [r, in] and coef·B [out, r].
type lora32 struct {
	r    int
	a, b []float32
}

func loadLoras32(t *outTensor) ([]lora32, error) {
	ls, err := loadLoras(t)
	if err != nil {
		return nil, err
	}
	out := make([]lora32, len(ls))
	for i, l := range ls {
		out[i] = lora32{r: l.r, a: narrow(l.a), b: narrow(l.b)}
	}
	return out, nil
}

func narrow(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// processTensor32 computes W + Σ coef·B·A in float32 with an SGEMM per row
// chunk (C = B_chunk·A + C).
func processTensor32(ctx context.Context, t *outTensor, s *scratch) error {
	loras, err := loadLoras32(t)
	if err != nil {
		return err
	}
	return streamRows(ctx, t, s, &s.acc32, decode32, func(acc []float32, r0, n, cols int64) {
		for _, l := range loras {
			addLoRA32(acc, l, r0, n, cols)
		}
	}, encode32)
}

// addLoRA32 adds coef·B[r0:r0+n]·A to acc ([n, cols]): with AVX2 + FMA
// four ranks per pass over each row, else through gonum's SGEMM (SSE).
func addLoRA32(acc []float32, l lora32, r0, n, cols int64) {
	b := l.b[r0*int64(l.r) : (r0+n)*int64(l.r)]
	if !hasFMA() {
		c := blas32.General{Rows: int(n), Cols: int(cols), Stride: int(cols), Data: acc}
		bm := blas32.General{Rows: int(n), Cols: l.r, Stride: l.r, Data: b}
		am := blas32.General{Rows: l.r, Cols: int(cols), Stride: int(cols), Data: l.a}
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, bm, am, 1, c)
		return
	}
	r := int64(l.r)
	a := func(k int64) []float32 { return l.a[k*cols : (k+1)*cols] }
	for i := range n {
		row := acc[i*cols : (i+1)*cols]
		k := int64(0)
		for ; k+4 <= r; k += 4 {
			bk := (*[4]float32)(b[i*r+k : i*r+k+4])
			axpy4(row, a(k), a(k+1), a(k+2), a(k+3), bk)
		}
		for ; k < r; k++ {
			bk := [4]float32{b[i*r+k]}
			axpy4Go(row, a(k), a(k), a(k), a(k), &bk)
		}
	}
}

// axpy4Go is the portable axpy4.
func axpy4Go(row, a0, a1, a2, a3 []float32, b *[4]float32) {
	a0, a1, a2, a3 = a0[:len(row)], a1[:len(row)], a2[:len(row)], a3[:len(row)]
	for j := range row {
		row[j] += b[0]*a0[j] + b[1]*a1[j] + b[2]*a2[j] + b[3]*a3[j]
	}
}

func decode32(d safetensors.DType, src []byte, dst []float32) {
	switch d {
	case safetensors.BF16:
		decodeBF16(src, dst)
	case safetensors.F16:
		for i := range dst {
			dst[i] = safetensors.F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case safetensors.F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	}
}

func encode32(d safetensors.DType, src []float32, dst []byte) {
	switch d {
	case safetensors.BF16:
		encodeBF16(src, dst)
	case safetensors.F16:
		for i, f := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], safetensors.F32ToF16(f))
		}
	}
}
