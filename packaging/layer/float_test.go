package layer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// bf16Normal returns n bytes of N(0, sigma) floats rounded to bf16
// (round-to-nearest-even), little-endian, from a fixed seed.
func bf16Normal(n int, sigma float64) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]byte, n)
	for i := 0; i+1 < n; i += 2 {
		b := math.Float32bits(float32(r.NormFloat64() * sigma))
		b += 0x7fff + (b>>16)&1
		binary.LittleEndian.PutUint16(out[i:], uint16(b>>16))
	}
	return out
}

func roundTrip(t *testing.T, in []byte, opts FloatOptions) []byte {
	t.Helper()
	ctx := context.Background()
	var enc bytes.Buffer
	if _, err := EncodeFloat(ctx, &enc, bytes.NewReader(in), opts); err != nil {
		t.Fatal(err)
	}
	var dec bytes.Buffer
	if _, err := DecodeFloat(ctx, &dec, bytes.NewReader(enc.Bytes()), opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec.Bytes(), in) {
		t.Fatalf("round trip of %d bytes differs", len(in))
	}
	return enc.Bytes()
}

func TestFloatRoundTrip(t *testing.T) {
	cases := map[string][]byte{
		"empty":    {},
		"one byte": {7},
		"odd":      bf16Normal(3*ChunkSize+12345, 0.02)[:3*ChunkSize+12345],
		"zeros":    make([]byte, 2*subBlock+10),
		"text":     bytes.Repeat([]byte("hello, weights "), 10000),
		"random-ish": func() []byte {
			b := make([]byte, 300000)
			r := rand.New(rand.NewPCG(3, 4))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		}(),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			roundTrip(t, in, FloatOptions{})
			roundTrip(t, in, FloatOptions{DType: FP16, Concurrency: 1})
		})
	}
}

func TestFloatRatioBF16(t *testing.T) {
	in := bf16Normal(8<<20, 0.02)
	enc := roundTrip(t, in, FloatOptions{})
	ratio := float64(len(in)) / float64(len(enc))
	t.Logf("ratio %.4f", ratio)
	if ratio < 1.45 {
		t.Fatalf("ratio %.4f on N(0,0.02) bf16, want ≥ 1.45", ratio)
	}
}

// TestFloatGolden pins the encoded bytes: a change of the codec or of the
// pinned klauspost/compress version shows up here.
func TestFloatGolden(t *testing.T) {
	enc := roundTrip(t, bf16Normal(1<<20+6, 0.02), FloatOptions{Concurrency: 3})
	sum := sha256.Sum256(enc)
	const want = "e043ba8d39235a4b162cf2b5aebe5320750d1bc9470fb1a55a68c2e67d525e51"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("encoded digest %s, want %s (codec output changed: bump the codec version)", got, want)
	}
}

func TestFloatCorrupt(t *testing.T) {
	enc := roundTrip(t, bf16Normal(1<<16, 0.02), FloatOptions{})
	for name, b := range map[string][]byte{
		"no header":  nil,
		"bad magic":  append([]byte("XXXX"), enc[4:]...),
		"truncated":  enc[:len(enc)/2],
		"no end":     enc[:len(enc)-4],
		"bad mode":   func() []byte { c := bytes.Clone(enc); c[16+1<<15] = 9; return c }(),
		"huge chunk": append(bytes.Clone(enc[:8]), 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0),
	} {
		_, err := DecodeFloat(context.Background(), &bytes.Buffer{}, bytes.NewReader(b), FloatOptions{})
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
}

func FuzzDecodeFloat(f *testing.F) {
	var enc bytes.Buffer
	EncodeFloat(context.Background(), &enc, bytes.NewReader(bf16Normal(4096, 0.02)), FloatOptions{})
	f.Add(enc.Bytes())
	f.Add([]byte("CKBP\x01\x01\x00\x00\x03\x00\x00\x00\x08\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		n, err := DecodeFloat(context.Background(), &out, bytes.NewReader(b), FloatOptions{Concurrency: 1})
		if err == nil && n != int64(out.Len()) {
			t.Fatalf("n %d, wrote %d", n, out.Len())
		}
	})
}

func BenchmarkFloatEncode(b *testing.B) {
	in := bf16Normal(32<<20, 0.02)
	b.SetBytes(int64(len(in)))
	var n int64
	cpu := startCPU()
	for b.Loop() {
		n, _ = EncodeFloat(context.Background(), discard{}, bytes.NewReader(in), FloatOptions{})
	}
	cpu.report(b, len(in))
	b.ReportMetric(float64(len(in))/float64(n), "ratio")
}

func BenchmarkFloatDecode(b *testing.B) {
	in := bf16Normal(32<<20, 0.02)
	var enc bytes.Buffer
	EncodeFloat(context.Background(), &enc, bytes.NewReader(in), FloatOptions{})
	b.SetBytes(int64(len(in)))
	cpu := startCPU()
	for b.Loop() {
		if _, err := DecodeFloat(context.Background(), discard{}, bytes.NewReader(enc.Bytes()), FloatOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, len(in))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
