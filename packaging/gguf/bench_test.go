package gguf

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkExport exports the model folder named by $CKPT_BENCH_MODEL (see
// bench/gguf.sh) to each type; MB/s is of source bytes, peak-RSS-MB is the
// process's maximum resident set (run one type per process to read it).
func BenchmarkExport(b *testing.B) {
	dir := os.Getenv("CKPT_BENCH_MODEL")
	if dir == "" {
		b.Skip("CKPT_BENCH_MODEL is not set (bash bench/gguf.sh sets it)")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	var size int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	out := os.Getenv("CKPT_BENCH_OUT")
	if out == "" {
		out = b.TempDir()
	}
	for _, ft := range []FileType{FileBF16, FileQ8_0, FileQ4_KM} {
		b.Run(string(ft), func(b *testing.B) {
			b.SetBytes(size)
			for range b.N {
				if err := Export(context.Background(), dir, filepath.Join(out, string(ft)+".gguf"), Options{Type: ft}); err != nil {
					b.Fatal(err)
				}
			}
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
		})
	}
}

// BenchmarkQuantize is the quantizers' speed on one core, per source byte
// of bf16 (2 bytes per value).
func BenchmarkQuantize(b *testing.B) {
	x := make([]float32, 1<<16)
	r := uint32(1)
	for i := range x { // N(0, 0.02)-like, unpredictable signs and ties
		r = r*1664525 + 1013904223
		x[i] = (float32(r>>8)/(1<<24) - 0.5) * 0.08
	}
	for _, t := range []Type{Q8_0, Q4_K, Q6_K} {
		b.Run(t.String(), func(b *testing.B) {
			n, _ := t.RowBytes(int64(len(x)))
			dst := make([]byte, n)
			b.SetBytes(int64(2 * len(x)))
			for range b.N {
				if err := Quantize(t, x, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
