package gguf

import (
	"bytes"
	"context"
	"errors"
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
