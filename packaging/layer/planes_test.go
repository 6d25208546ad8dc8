package layer

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestSplitJoin checks split and join (SIMD and Go) and their Go versions
// alone against the byte-at-a-time definition of the planes, for every
// length around the 8- and 16-word steps.
func TestSplitJoin(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	in := make([]byte, 300)
	for i := range in {
		in[i] = byte(r.Uint32())
	}
	for name, f := range map[string]struct{ split, join func(a, b, c []byte) }{
		"split/join": {split, join},
		"Go":         {splitGo, joinGo},
	} {
		for n := 0; n <= len(in)/2; n++ {
			words := in[:2*n]
			e, s := make([]byte, n), make([]byte, n)
			f.split(e, s, words)
			for i := range n {
				lo, hi := words[2*i], words[2*i+1]
				if e[i] != hi<<1|lo>>7 || s[i] != hi&0x80|lo&0x7f {
					t.Fatalf("%s n=%d word %d (%#02x %#02x): e %#02x s %#02x", name, n, i, lo, hi, e[i], s[i])
				}
			}
			out := make([]byte, 2*n)
			f.join(out, e, s)
			if !bytes.Equal(out, words) {
				t.Fatalf("%s n=%d: join(split(x)) != x", name, n)
			}
		}
	}
}

func BenchmarkSplit(b *testing.B) {
	in := bf16Normal(ChunkSize, 0.02)
	e, s := make([]byte, len(in)/2), make([]byte, len(in)/2)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		split(e, s, in)
	}
}

func BenchmarkJoin(b *testing.B) {
	in := bf16Normal(ChunkSize, 0.02)
	e, s := make([]byte, len(in)/2), make([]byte, len(in)/2)
	split(e, s, in)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		join(in, e, s)
	}
}

// FuzzSplitJoin checks that split and join (SIMD where there is one) agree
// with their Go versions and round-trip any bytes.
func FuzzSplitJoin(f *testing.F) {
	f.Add(bf16Normal(100, 0.02))
	f.Add([]byte{0xff, 0x7f, 0x80, 0x00, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		n := len(in) / 2
		e, s, e2, s2 := make([]byte, n), make([]byte, n), make([]byte, n), make([]byte, n)
		split(e, s, in)
		splitGo(e2, s2, in[:2*n])
		if !bytes.Equal(e, e2) || !bytes.Equal(s, s2) {
			t.Fatalf("split and splitGo differ on %x", in)
		}
		out := make([]byte, 2*n)
		join(out, e, s)
		if !bytes.Equal(out, in[:2*n]) {
			t.Fatalf("join(split(%x)) = %x", in, out)
		}
	})
}
