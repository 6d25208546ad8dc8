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
	results := make([]*chunk, c.workers)
	for base := int64(0); base < n; base += int64(c.workers) {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(int64(c.workers), n-base)
		var wg sync.WaitGroup
		for i := range k {
			r0 := (base + i) * per
			r1 := min(s.rows, r0+per)
			ch := c.get()
			results[i] = ch
			wg.Go(func() { ch.err = c.convert(s, ch, r0, r1, rowIn, rowOut) })
		}
		wg.Wait()
		for _, ch := range results[:k] {
			if ch.err != nil {
				return ch.err
			}
			if _, err := w.Write(ch.out); err != nil {
				return err
			}
			c.pool.Put(ch)
		}
	}
	return nil
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
	// Row by row: the float32 row stays in cache between decode and encode.
	ch.f = grow(ch.f, s.cols)
	ch.out = grow(ch.out, rows*rowOut)
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
