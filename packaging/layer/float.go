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
	f.e = grow(f.e, n)
	out := f.pool.get(8 + n)
	split(f.e, out[8:8+n], in[:2*n])
	out = f.s0.encodePlane(out, f.e, true)
	if len(in)%2 == 1 {
		out = append(out, in[len(in)-1])
	}
	f.pool.put(in)
	binary.LittleEndian.PutUint32(out[0:], uint32(len(in)))
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}

// split writes the exponent plane e and sign/mantissa plane s of the
// little-endian 16-bit words in in, four words at a time.
func split(e, s, in []byte) {
	n := len(in) / 2
	e, s = e[:n], s[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		v := binary.LittleEndian.Uint64(in[2*i:])
		w := binary.LittleEndian.Uint64(in[2*i+8:])
		binary.LittleEndian.PutUint64(e[i:], uint64(pack((v>>7)&0x00ff00ff00ff00ff))|uint64(pack((w>>7)&0x00ff00ff00ff00ff))<<32)
		binary.LittleEndian.PutUint64(s[i:], uint64(pack((v>>8)&0x0080008000800080|v&0x007f007f007f007f))|
			uint64(pack((w>>8)&0x0080008000800080|w&0x007f007f007f007f))<<32)
	}
	for ; i < n; i++ {
		lo, hi := in[2*i], in[2*i+1]
		e[i] = hi<<1 | lo>>7
		s[i] = hi&0x80 | lo&0x7f
	}
}

// join is the inverse of split.
func join(out, e, s []byte) {
	n := len(e)
	out, s = out[:2*n], s[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		x := spread(binary.LittleEndian.Uint32(e[i:]))
		y := spread(binary.LittleEndian.Uint32(s[i:]))
		binary.LittleEndian.PutUint64(out[2*i:], (y&0x0080008000800080)<<8|x<<7|y&0x007f007f007f007f)
	}
	for ; i < n; i++ {
		x, y := e[i], s[i]
		out[2*i] = x<<7 | y&0x7f
		out[2*i+1] = y&0x80 | x>>1
	}
}

// pack gathers the low bytes of four 16-bit lanes into 32 bits.
func pack(v uint64) uint32 {
	v = (v | v>>8) & 0x0000ffff0000ffff
	return uint32(v | v>>16)
}

// spread is the inverse of pack.
func spread(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	return (v | v<<8) & 0x00ff00ff00ff00ff
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
