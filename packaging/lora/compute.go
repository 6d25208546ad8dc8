package lora

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// chunkElems bounds the elements of one tensor processed at once.
const chunkElems = 1 << 18

// scratch holds a worker's reusable buffers.
type scratch struct {
	raw   []byte
	acc   []float64
	acc32 []float32
	out   []byte
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// lora is one contribution loaded for a tensor: A [r, in] and coef·B
// [out, r] (rows already in the base's basis), in float64.
type lora struct {
	r    int
	a, b []float64
}

// dims views a tensor as a [rows, cols] matrix.
func dims(t safetensors.TensorInfo) (rows, cols int64) {
	if len(t.Shape) == 0 {
		return 1, 1
	}
	rows = t.Shape[0]
	if rows == 0 {
		return 0, 0
	}
	return rows, t.Elements() / rows
}

// processTensor writes one output tensor: a raw copy when nothing changes,
// else decode, add every adapter's update and round once to the output
// dtype (ties to even). bf16 and fp16 outputs accumulate in float32 with
// SIMD BLAS (its rounding error is far below their ulp); fp32 outputs
// accumulate in float64 and round via nothing but the final conversion.
func processTensor(ctx context.Context, t *outTensor, s *scratch) error {
	if len(t.adds) == 0 && t.dtype == t.info.DType {
		return copyRaw(ctx, t, s)
	}
	if t.dtype != safetensors.F32 {
		return processTensor32(ctx, t, s)
	}
	loras, err := loadLoras(t)
	if err != nil {
		return err
	}
	return streamRows(ctx, t, s, &s.acc, decodeFloats, func(acc []float64, r0, n, cols int64) {
		for _, l := range loras {
			addLoRA(acc, l, r0, n, cols)
		}
	}, encodeFloats)
}

// streamRows rewrites t chunk by chunk of whole rows (at most chunkElems
// elements, at least one row): read the input bytes, decode them into acc,
// add the updates to acc and encode acc into the output dtype. F is the
// accumulation type.
func streamRows[F float32 | float64](ctx context.Context, t *outTensor, s *scratch, acc *[]F,
	decode func(safetensors.DType, []byte, []F), add func(acc []F, r0, n, cols int64),
	encode func(safetensors.DType, []F, []byte)) error {
	rows, cols := dims(t.info)
	if rows == 0 {
		return nil
	}
	per := max(1, chunkElems/cols)
	inSize, outSize := int64(t.info.DType.Size()), int64(t.dtype.Size())
	for r0 := int64(0); r0 < rows; r0 += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(per, rows-r0)
		s.raw = grow(s.raw, int(n*cols*inSize))
		if err := t.src.ReadAt(t.name, s.raw, r0*cols*inSize); err != nil {
			return err
		}
		*acc = grow(*acc, int(n*cols))
		decode(t.info.DType, s.raw, *acc)
		add(*acc, r0, n, cols)
		s.out = grow(s.out, int(n*cols*outSize))
		encode(t.dtype, *acc, s.out)
		if err := t.file.WriteAt(t.name, s.out, r0*cols*outSize); err != nil {
			return err
		}
	}
	return nil
}

func copyRaw(ctx context.Context, t *outTensor, s *scratch) error {
	const chunk = 4 << 20
	total := t.info.Len()
	for off := int64(0); off < total; off += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.raw = grow(s.raw, int(min(chunk, total-off)))
		if err := t.src.ReadAt(t.name, s.raw, off); err != nil {
			return err
		}
		if err := t.file.WriteAt(t.name, s.raw, off); err != nil {
			return err
		}
	}
	return nil
}

// loadLoras reads each contribution's A and B, permutes B's rows into the
// base's basis when needed and folds weight·scale into B.
func loadLoras(t *outTensor) ([]lora, error) {
	var out []lora
	for _, c := range t.adds {
		a, err := readFloats(c.file, c.target.A)
		if err != nil {
			return nil, err
		}
		b, err := readFloats(c.file, c.target.B)
		if err != nil {
			return nil, err
		}
		r := c.target.Rank
		if h := c.target.PermuteHeads; h > 0 {
			if b, err = permute(b, r, h, c.target.From); err != nil {
				return nil, fmt.Errorf("%s: tensor %q: %w", c.file.Path, c.target.B.Name, err)
			}
		}
		for i := range b {
			b[i] *= c.coef
		}
		out = append(out, lora{r: r, a: a, b: b})
	}
	return out, nil
}

func readFloats(f *safetensors.File, t safetensors.TensorInfo) ([]float64, error) {
	raw, err := f.Bytes(t.Name)
	if err != nil {
		return nil, err
	}
	out := make([]float64, t.Elements())
	decodeFloats(t.DType, raw, out)
	return out, nil
}

// permute reorders the rows of b [out, r] from basis from into the other.
func permute(b []float64, r, heads int, from mistral.Basis) ([]float64, error) {
	rows := len(b) / r
	if heads <= 0 || rows%heads != 0 || (rows/heads)%2 != 0 {
		return nil, fmt.Errorf("cannot permute %d rows in %d rotary heads", rows, heads)
	}
	hd := rows / heads
	out := make([]float64, len(b))
	for row := range rows {
		src := mistral.SourceRow(row, hd, from)
		copy(out[row*r:(row+1)*r], b[src*r:(src+1)*r])
	}
	return out, nil
}

// addLoRA adds coef·B[r0:r0+n]·A to acc (n rows of cols), four ranks per
// pass over each row.
func addLoRA(acc []float64, l lora, r0, n, cols int64) {
	r := l.r
	for i := range n {
		row := acc[i*cols : (i+1)*cols]
		bRow := l.b[(r0+i)*int64(r) : (r0+i+1)*int64(r)]
		k := 0
		for ; k+4 <= r; k += 4 {
			axpy4f64(row, bRow[k:k+4], l.a[int64(k)*cols:int64(k+4)*cols], cols)
		}
		for ; k < r; k++ {
			axpy1f64(row, bRow[k], l.a[int64(k)*cols:int64(k+1)*cols])
		}
	}
}

func axpy4f64(row, b, a []float64, cols int64) {
	a0, a1, a2, a3 := a[:cols], a[cols:2*cols], a[2*cols:3*cols], a[3*cols:4*cols]
	b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
	a0, a1, a2, a3 = a0[:len(row)], a1[:len(row)], a2[:len(row)], a3[:len(row)]
	for j := range row {
		row[j] += b0*a0[j] + b1*a1[j] + b2*a2[j] + b3*a3[j]
	}
}

func axpy1f64(row []float64, b float64, a []float64) {
	a = a[:len(row)]
	for j := range row {
		row[j] += b * a[j]
	}
}

func decodeFloats(d safetensors.DType, src []byte, dst []float64) {
	switch d {
	case safetensors.BF16:
		src = src[:2*len(dst)]
		for i := range dst {
			dst[i] = float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16))
		}
	case safetensors.F16:
		for i := range dst {
			dst[i] = float64(safetensors.F16ToF32(binary.LittleEndian.Uint16(src[2*i:])))
		}
	case safetensors.F32:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))
		}
	}
}

func encodeFloats(d safetensors.DType, src []float64, dst []byte) {
	switch d {
	case safetensors.BF16:
		dst = dst[:2*len(src)]
		for i, f := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], safetensors.F32ToBF16(float32(f)))
		}
	case safetensors.F16:
		for i, f := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], safetensors.F32ToF16(float32(f)))
		}
	case safetensors.F32:
		for i, f := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(float32(f)))
		}
	}
}
