package layer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// DType is the 2-byte float type a float-codec stream was encoded for.
type DType byte

// Float types of the float codec.
const (
	BF16 DType = 1
	FP16 DType = 2
)

// FloatCodecName names the float codec and its version in annotations.
const FloatCodecName = "bplane-v1;huff0"

// Float codec stream layout (all integers little-endian):
//
//	header  "CKBP" version(1) dtype(1) 0 0
//	chunk*  rawLen(u32, 1..ChunkSize) bodyLen(u32) body
//	end     rawLen = 0
//
// A chunk of rawLen input bytes holds n = rawLen/2 16-bit words. Each word
// v is split into two byte planes: E = bits 7..14 (the bf16 exponent, or the
// fp16 exponent and top mantissa bits) and S = sign<<7 | bits 0..6. The body
// is the S plane (n bytes, stored: it is close to random), then the E plane
// cut into sub-blocks of at most subBlock bytes, each stored as mode(1)
// len(u32) data with mode 0 raw, 1 huff0 4X (table included), 2 one byte
// repeated, then an odd last byte raw.
const (
	floatMagic   = "CKBP"
	floatVersion = 1
	// ChunkSize is the input bytes per independently coded chunk.
	ChunkSize = 1 << 20
	subBlock  = 128 << 10
)

const (
	modeRaw  = 0
	modeHuff = 1
	modeRLE  = 2
)

// ErrCorrupt is returned by DecodeFloat for a malformed stream.
var ErrCorrupt = errors.New("corrupt float codec stream")

// FloatOptions tune the float codec. The zero value is bf16 with one
// worker per CPU.
type FloatOptions struct {
	DType DType
	// Concurrency is the number of chunks coded at once (default GOMAXPROCS).
	Concurrency int
}

func (o FloatOptions) workers() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return runtime.GOMAXPROCS(0)
}

// EncodeFloat encodes src into dst with the float codec and returns the
// number of bytes written. Any byte stream is accepted and round-trips
// exactly; the ratio is good when it is mostly 16-bit floats.
func EncodeFloat(ctx context.Context, dst io.Writer, src io.Reader, opts FloatOptions) (int64, error) {
	dt := opts.DType
	if dt == 0 {
		dt = BF16
	}
	if dt != BF16 && dt != FP16 {
		return 0, fmt.Errorf("float codec: unknown dtype %d", dt)
	}
	cw := &countWriter{w: dst}
	if _, err := cw.Write([]byte{'C', 'K', 'B', 'P', floatVersion, byte(dt), 0, 0}); err != nil {
		return cw.n, err
	}
	pool := newBufPool()
	read := func() ([]byte, error) {
		buf := pool.get(ChunkSize)
		n, err := io.ReadFull(src, buf)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = nil
			if n == 0 {
				return nil, io.EOF
			}
		}
		return buf[:n], err
	}
	newEnc := func() func([]byte) ([]byte, error) {
		e := &floatEncoder{pool: pool}
		return e.chunk
	}
	err := ordered(ctx, opts.workers(), read, newEnc, cw, pool.put)
	if err != nil {
		return cw.n, fmt.Errorf("float codec: %w", err)
	}
	_, err = cw.Write([]byte{0, 0, 0, 0})
	return cw.n, err
}

type floatEncoder struct {
	e    []byte
	s0   hufScratch
	pool *bufPool
}

func (f *floatEncoder) chunk(in []byte) ([]byte, error) {
	n := len(in) / 2
	out := f.pool.get(8 + n)
	// Sub-block by sub-block, so that the exponent plane is entropy coded
	// while it is still in cache; the S plane goes straight to its place.
	for off := 0; off < n; off += subBlock {
		m := min(n-off, subBlock)
		f.e = grow(f.e, m)
		split(f.e, out[8+off:8+off+m], in[2*off:2*(off+m)])
		out = f.s0.encodeBlock(out, f.e, true)
	}
	if len(in)%2 == 1 {
		out = append(out, in[len(in)-1])
	}
	f.pool.put(in)
	binary.LittleEndian.PutUint32(out[0:], uint32(len(in)))
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// bufCap fits any chunk buffer: input, encoded body (at most the input plus
// sub-block headers) and decoded output.
const bufCap = ChunkSize + 4096

// bufPool recycles chunk buffers between the reader, the workers and the
// writer of one encode or decode.
type bufPool struct{ p sync.Pool }

func newBufPool() *bufPool { return &bufPool{} }

func (b *bufPool) get(n int) []byte {
	if n > bufCap {
		return make([]byte, n)
	}
	if v, ok := b.p.Get().(*[]byte); ok {
		return (*v)[:n]
	}
	return make([]byte, n, bufCap)
}

func (b *bufPool) put(buf []byte) {
	if cap(buf) == bufCap {
		buf = buf[:0]
		b.p.Put(&buf)
	}
}
