package layer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
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
// fp16 exponent and top mantissa bits) and S = sign<<7 | bits 0..6. Each
// plane is cut into sub-blocks of at most subBlock bytes, each stored as
// mode(1) len(u32) data with mode 0 raw, 1 huff0 4X (table included), 2 one
// byte repeated. An odd last byte follows the planes raw.
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
	read := func() ([]byte, error) {
		buf := make([]byte, ChunkSize)
		n, err := io.ReadFull(src, buf)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = nil
			if n == 0 {
				return nil, io.EOF
			}
		}
		return buf[:n], err
	}
	err := ordered(ctx, opts.workers(), read, newFloatEncoder, cw)
	if err != nil {
		return cw.n, fmt.Errorf("float codec: %w", err)
	}
	_, err = cw.Write([]byte{0, 0, 0, 0})
	return cw.n, err
}

func newFloatEncoder() func([]byte) ([]byte, error) {
	var e floatEncoder
	return e.chunk
}

type floatEncoder struct {
	e, s []byte
	s0   hufScratch
}

func (f *floatEncoder) chunk(in []byte) ([]byte, error) {
	n := len(in) / 2
	f.e, f.s = grow(f.e, n), grow(f.s, n)
	split(f.e, f.s, in[:2*n])
	out := make([]byte, 8, len(in)/2+len(in)/2+64)
	out = f.s0.encodePlane(out, f.e, true)
	out = f.s0.encodePlane(out, f.s, false)
	if len(in)%2 == 1 {
		out = append(out, in[len(in)-1])
	}
	binary.LittleEndian.PutUint32(out[0:], uint32(len(in)))
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}

// split writes the exponent plane e and sign/mantissa plane s of the words in in.
func split(e, s, in []byte) {
	e, s = e[:len(in)/2], s[:len(in)/2]
	for i := range e {
		lo, hi := in[2*i], in[2*i+1]
		e[i] = hi<<1 | lo>>7
		s[i] = hi&0x80 | lo&0x7f
	}
}

// join is the inverse of split.
func join(out, e, s []byte) {
	out = out[:2*len(e)]
	s = s[:len(e)]
	for i, x := range e {
		y := s[i]
		out[2*i] = x<<7 | y&0x7f
		out[2*i+1] = y&0x80 | x>>1
	}
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
