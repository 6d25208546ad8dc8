package gguf

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
)

// The pipeline writes chunks in order whatever order they finish in, and
// stops at the first failure: of a conversion, of the writer, of ctx.
func TestPipelineOrderAndErrors(t *testing.T) {
	conv := func(fail int64) func(*chunk, int64) error {
		return func(ch *chunk, i int64) error {
			if i == fail {
				return errors.New("bad chunk")
			}
			ch.out = append(ch.out[:0], byte(i))
			return nil
		}
	}
	for _, workers := range []int{1, 2, 5} {
		c := newConverter(workers)
		var b bytes.Buffer
		if err := c.pipeline(context.Background(), &b, 40, conv(-1)); err != nil || b.Len() != 40 {
			t.Fatalf("%d workers: %v, %d bytes", workers, err, b.Len())
		}
		for i, x := range b.Bytes() {
			if int(x) != i {
				t.Fatalf("%d workers: chunk %d written at %d", workers, x, i)
			}
		}
		b.Reset()
		if err := c.pipeline(context.Background(), &b, 40, conv(7)); err == nil || err.Error() != "bad chunk" || b.Len() != 7 {
			t.Errorf("%d workers, chunk 7 fails: %v after %d chunks", workers, err, b.Len())
		}
		if err := c.pipeline(context.Background(), failWriter{}, 40, conv(-1)); err == nil {
			t.Errorf("%d workers: a failing writer is not reported", workers)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.pipeline(ctx, &b, 40, conv(-1)); !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers, cancelled: %v", workers, err)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// The fused bfloat16 path gives quantizeQ8_0's bytes on 65,536 scattered
// bfloat16 bit patterns (ties, subnormals, infinities and NaNs among them).
func TestQuantizeQ8_0BF16(t *testing.T) {
	const n = 1 << 16
	src, f := make([]byte, 2*n), make([]float32, n)
	for i := range n {
		h := uint16(i*40503) ^ uint16(i>>3)
		src[2*i], src[2*i+1] = byte(h), byte(h>>8)
		f[i] = math.Float32frombits(uint32(h) << 16)
	}
	want, got := make([]byte, n/32*34), make([]byte, n/32*34)
	quantizeQ8_0(f, want)
	quantizeQ8_0BF16(src, got)
	if !bytes.Equal(got, want) {
		t.Fatal("the fused bfloat16 Q8_0 quantizer differs from decode + quantizeQ8_0")
	}
}
