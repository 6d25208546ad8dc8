package remote

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// BenchmarkPush pushes a 32 MiB bundle to a fresh repository each
// iteration: of the in-process registry (its in-memory driver is slow with
// large blobs), or of CKPT_BENCH_REGISTRY when set.
func BenchmarkPush(b *testing.B) {
	host := os.Getenv("CKPT_BENCH_REGISTRY") // e.g. a docker-registry on 127.0.0.1
	if host == "" {
		host = testenv.NewRegistry(b).Host
	}
	m := testModel(32 << 20)
	layout, _ := benchBundle(b, m)
	b.SetBytes(32 << 20)
	i := 0
	for b.Loop() {
		i++
		dst, _ := ParseRef(fmt.Sprintf("%s/bench/push%d-%d:v1", host, os.Getpid(), i))
		if _, err := Push(context.Background(), layout, "bundle", dst, PushOptions{Options: Options{PlainHTTP: true}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRepush pushes an unchanged bundle again: only existence checks
// and the manifest go over the wire.
func BenchmarkRepush(b *testing.B) {
	reg := testenv.NewRegistry(b)
	layout, _ := benchBundle(b, testModel(32<<20))
	dst, _ := ParseRef(reg.Host + "/bench/repush:v1")
	opts := PushOptions{Options: Options{PlainHTTP: true}}
	if _, err := Push(context.Background(), layout, "bundle", dst, opts); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Push(context.Background(), layout, "bundle", dst, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPull(b *testing.B) {
	size := 32 << 20
	host := os.Getenv("CKPT_BENCH_REGISTRY")
	if host != "" {
		size = 256 << 20
	}
	for _, ranges := range []int64{-1, 4 << 20} {
		b.Run(fmt.Sprintf("ranges=%d", ranges), func(b *testing.B) {
			h := host
			if h == "" {
				h = testenv.NewRegistry(b).Host
			}
			layout, _ := benchBundle(b, testModel(size))
			dst, _ := ParseRef(fmt.Sprintf("%s/bench/pull-%d:v1", h, os.Getpid()))
			if _, err := Push(context.Background(), layout, "bundle", dst, PushOptions{Options: Options{PlainHTTP: true}}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				opts := PullOptions{Options: Options{PlainHTTP: true}, RangeThreshold: ranges, PartSize: 16 << 20}
				if _, err := Pull(context.Background(), dst, b.TempDir(), opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchBundle(b *testing.B, m model) (string, error) {
	b.Helper()
	dir := b.TempDir()
	var files []modelpack.File
	for p, c := range m {
		files = append(files, writeOne(b, dir, p, c))
	}
	l, err := modelpack.CreateLayout(dir + "/layout")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := modelpack.Build(context.Background(), l, files, modelpack.Options{Tag: "bundle"}); err != nil {
		b.Fatal(err)
	}
	return l.Dir(), l.Close()
}
