package layer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DecodeFloat decodes a float codec stream from src into dst and returns
// the number of bytes written. A malformed stream gives an error wrapping
// ErrCorrupt, never a panic; memory stays bounded by the chunk size.
func DecodeFloat(ctx context.Context, dst io.Writer, src io.Reader, opts FloatOptions) (int64, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(src, hdr[:]); err != nil {
		return 0, fmt.Errorf("float codec header: %w: %w", ErrCorrupt, err)
	}
	if string(hdr[:4]) != floatMagic || hdr[4] != floatVersion || (hdr[5] != byte(BF16) && hdr[5] != byte(FP16)) {
		return 0, fmt.Errorf("float codec header %x: %w", hdr, ErrCorrupt)
	}
	pool := newBufPool()
	read := func() ([]byte, error) { return readChunk(src, pool) }
	newDec := func() func([]byte) ([]byte, error) {
		d := &floatDecoder{pool: pool}
		return d.chunk
	}
	cw := &countWriter{w: dst}
	if err := ordered(ctx, opts.workers(), read, newDec, cw, pool.put); err != nil {
		return cw.n, fmt.Errorf("float codec: %w", err)
	}
	return cw.n, nil
}

// readChunk reads one framed chunk (rawLen, bodyLen, body) or io.EOF at the
// end marker.
func readChunk(src io.Reader, pool *bufPool) ([]byte, error) {
	var fr [8]byte
	if _, err := io.ReadFull(src, fr[:4]); err != nil {
		return nil, fmt.Errorf("%w: missing end marker (%v)", ErrCorrupt, err)
	}
	raw := binary.LittleEndian.Uint32(fr[:4])
	if raw == 0 {
		return nil, io.EOF
	}
	if _, err := io.ReadFull(src, fr[4:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	body := binary.LittleEndian.Uint32(fr[4:])
	if raw > ChunkSize || body > raw+1024 {
		return nil, fmt.Errorf("%w: chunk of %d bytes with a %d-byte body", ErrCorrupt, raw, body)
	}
	buf := pool.get(8 + int(body))
	copy(buf, fr[:])
	if _, err := io.ReadFull(src, buf[8:]); err != nil {
		return nil, fmt.Errorf("%w: truncated chunk: %w", ErrCorrupt, err)
	}
	return buf, nil
}

type floatDecoder struct {
	e    []byte
	h    hufScratch
	pool *bufPool
}

func (f *floatDecoder) chunk(in []byte) ([]byte, error) {
	raw := int(binary.LittleEndian.Uint32(in))
	body := in[8:]
	n := raw / 2
	if len(body) < n {
		return nil, fmt.Errorf("sign/mantissa plane: %w", ErrCorrupt)
	}
	s, body := body[:n], body[n:]
	out := f.pool.get(raw)
	// Sub-block by sub-block: each decoded exponent block is joined while
	// it is still in cache.
	for off := 0; off < n; off += subBlock {
		m := min(n-off, subBlock)
		f.e = grow(f.e, m)
		rest, err := f.h.decodeBlock(f.e, body)
		if err != nil {
			f.pool.put(out)
			return nil, fmt.Errorf("sub-block at plane offset %d: %w", off, err)
		}
		body = rest
		join(out[2*off:], f.e, s[off:off+m])
	}
	if len(body) != raw%2 {
		f.pool.put(out)
		return nil, fmt.Errorf("%d trailing bytes in chunk: %w", len(body), ErrCorrupt)
	}
	if raw%2 == 1 {
		out[raw-1] = body[0]
	}
	f.pool.put(in)
	return out, nil
}

// ordered runs work on each item that next returns (until io.EOF) with
// workers goroutines, each with its own state from newWork, writes the
// results to w in input order and hands written buffers to recycle. At most 2×workers items are in flight.
func ordered(ctx context.Context, workers int, next func() ([]byte, error), newWork func() func([]byte) ([]byte, error), w io.Writer, recycle func([]byte)) error {
	type job struct {
		in  []byte
		out chan result
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan job)
	queue := make(chan chan result, 2*workers)
	for range workers {
		go func() {
			work := newWork()
			for j := range jobs {
				b, err := work(j.in)
				j.out <- result{b, err}
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(queue)
		defer close(jobs)
		for {
			in, err := next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr <- err
				}
				return
			}
			out := make(chan result, 1)
			select {
			case queue <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{in, out}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for out := range queue {
		var r result
		select {
		case r = <-out:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		if _, err := w.Write(r.b); err != nil {
			return err
		}
		recycle(r.b)
	}
	select {
	case err := <-readErr:
		return err
	default:
		return ctx.Err()
	}
}

type result struct {
	b   []byte
	err error
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
