package layer

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkZstdEncode is the reference the float codec is compared with:
// klauspost zstd with ckpt's settings on the same N(0, 0.02) bf16 data.
func BenchmarkZstdEncode(b *testing.B) {
	in := bf16Normal(32<<20, 0.02)
	b.SetBytes(int64(len(in)))
	var n int
	cpu := startCPU()
	for b.Loop() {
		var out bytes.Buffer
		zw, _ := NewZstdWriter(&out)
		zw.Write(in)
		zw.Close()
		n = out.Len()
	}
	cpu.report(b, len(in))
	b.ReportMetric(float64(len(in))/float64(n), "ratio")
}

func BenchmarkZstdDecode(b *testing.B) {
	in := bf16Normal(32<<20, 0.02)
	var enc bytes.Buffer
	zw, _ := NewZstdWriter(&enc)
	zw.Write(in)
	zw.Close()
	b.SetBytes(int64(len(in)))
	cpu := startCPU()
	for b.Loop() {
		zr, err := NewZstdReader(bytes.NewReader(enc.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(discard{}, zr)
		zr.Close()
	}
	cpu.report(b, len(in))
}

func BenchmarkTarWrite(b *testing.B) {
	in := bf16Normal(32<<20, 0.02)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		WriteTarFile(discard{}, "model.safetensors", 0o644, int64(len(in)), bytes.NewReader(in), TarOptions{})
	}
}
