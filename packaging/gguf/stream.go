package gguf

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// chunkBytes bounds the source bytes one worker converts at a time; memory
// in flight is about workers × (chunk in + chunk out + float32 rows).
const chunkBytes = 4 << 20

// converter turns source rows into GGUF rows, several chunks at once,
// written in order.
type converter struct {
	workers int
	pool    sync.Pool
}

func newConverter(workers int) *converter {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &converter{workers: workers}
}

type chunk struct {
	in  []byte
	f   []float32
	out []byte
	err error
}

// write streams tensor s into w.
func (c *converter) write(ctx context.Context, w io.Writer, s *source) error {
	dsz := int64(s.src.DType.Size())
	rowIn := s.cols * dsz
	rowOut, err := s.typ.RowBytes(s.cols)
	if err != nil {
		return err
	}
	if s.unchanged() {
		return copyRaw(w, s)
	}
	// At most chunkBytes per chunk, and at least one chunk per worker so
	// that a small tensor keeps every core busy too.
	per := max(1, min(chunkBytes/rowIn, (s.rows+int64(c.workers)-1)/int64(c.workers)))
	n := (s.rows + per - 1) / per
	return c.pipeline(ctx, w, n, func(ch *chunk, i int64) error {
		r0 := i * per
		return c.convert(s, ch, r0, min(s.rows, r0+per), rowIn, rowOut)
	})
}

// pending is a chunk being converted; done is closed when it is.
type pending struct {
	ch   *chunk
	done chan struct{}
}

// pipeline converts chunks 0..n-1, c.workers at a time, and writes each to
// w in order while later ones are converted: at most c.workers chunks are
// in conversion, and at most c.workers more wait to be written.
func (c *converter) pipeline(ctx context.Context, w io.Writer, n int64, conv func(*chunk, int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan pending, c.workers)
	busy := make(chan struct{}, c.workers)
	go func() {
		defer close(queue)
		for i := range n {
			select {
			case busy <- struct{}{}:
			case <-ctx.Done():
				return
			}
			p := pending{ch: c.get(), done: make(chan struct{})}
			go func() {
				defer close(p.done)
				p.ch.err = conv(p.ch, i)
				<-busy
			}()
			select {
			case queue <- p:
			case <-ctx.Done():
				<-p.done
				return
			}
		}
	}()
	var err error
	for p := range queue {
		<-p.done
		if err == nil {
			err = p.ch.err
		}
		if err == nil {
			_, err = w.Write(p.ch.out)
		}
		if err != nil {
			cancel() // the producer stops; the chunks queued are drained
		}
		c.pool.Put(p.ch)
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

func (c *converter) get() *chunk {
	if ch, ok := c.pool.Get().(*chunk); ok {
		return ch
	}
	return &chunk{}
}

func grow[T any](b []T, n int64) []T {
	if int64(cap(b)) < n {
		return make([]T, n)
	}
	return b[:n]
}

// convert reads rows [r0, r1) of s (un-permuting HF q/k rows) and encodes
// them as s.typ into ch.out.
func (c *converter) convert(s *source, ch *chunk, r0, r1, rowIn, rowOut int64) error {
	rows := r1 - r0
	ch.in = grow(ch.in, rows*rowIn)
	if err := readRows(s, ch.in, r0, r1, rowIn); err != nil {
		return err
	}
	ch.out = grow(ch.out, rows*rowOut)
	if s.typ == Q8_0 && s.src.DType == safetensors.BF16 && s.scale == 0 {
		quantizeQ8_0BF16(ch.in, ch.out) // rows are whole blocks: no row loop
		return nil
	}
	// Row by row: the float32 row stays in cache between decode and encode.
	ch.f = grow(ch.f, s.cols)
	for r := range rows {
		if err := safetensors.Decode(s.src.DType, ch.in[r*rowIn:(r+1)*rowIn], ch.f); err != nil {
			return err
		}
		if s.scale != 0 {
			for i := range ch.f {
				ch.f[i] *= s.scale
			}
		}
		if err := Quantize(s.typ, ch.f, ch.out[r*rowOut:(r+1)*rowOut]); err != nil {
			return fmt.Errorf("tensor %q: %w", s.src.Name, err)
		}
	}
	return nil
}

func readRows(s *source, dst []byte, r0, r1, rowIn int64) error {
	if s.rotary == 0 {
		return s.file.ReadAt(s.src.Name, dst, r0*rowIn)
	}
	hd := int(s.rows) / s.rotary
	for r := r0; r < r1; r++ {
		src := int64(mistral.SourceRow(int(r), hd, mistral.BasisHF))
		if err := s.file.ReadAt(s.src.Name, dst[(r-r0)*rowIn:(r-r0+1)*rowIn], src*rowIn); err != nil {
			return err
		}
	}
	return nil
}

// unchanged reports whether s's GGUF bytes are its source bytes.
func (s *source) unchanged() bool {
	same := s.typ == BF16 && s.src.DType == safetensors.BF16 || s.typ == F32 && s.src.DType == safetensors.F32 ||
		s.typ == F16 && s.src.DType == safetensors.F16
	return same && s.scale == 0 && s.rotary == 0
}

// copyRaw copies s's bytes from its file, in the kernel when w allows.
func copyRaw(w io.Writer, s *source) error {
	f, err := os.Open(s.file.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(s.file.DataOffset+s.src.Begin, io.SeekStart); err != nil {
		return err
	}
	n, err := io.Copy(w, io.LimitReader(f, s.src.Len()))
	if err == nil && n != s.src.Len() {
		err = fmt.Errorf("%s: tensor %q: %w", s.file.Path, s.src.Name, io.ErrUnexpectedEOF)
	}
	return err
}
