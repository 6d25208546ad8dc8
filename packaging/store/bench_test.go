package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// BenchmarkPutDir stores a 256 MiB set of four files (hash in place, fsync,
// rename into blobs/) into a fresh store. bench/store.sh compares it with
// sha256sum over the same bytes.
func BenchmarkPutDir(b *testing.B) {
	const files, size = 4, 64 << 20
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	b.SetBytes(files * size)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		root := b.TempDir()
		dir := filepath.Join(root, "out")
		os.MkdirAll(dir, 0o755)
		for f := 0; f < files; f++ {
			data[0] = byte(f)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("model-%05d.safetensors", f)), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		s, err := store.Open(ctx, filepath.Join(root, "store"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.PutDir(ctx, dir, specv1.Metadata{Kind: "model"}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMaterialize hard-links the same 256 MiB set (four files) into a
// fresh folder: what handing an input to a step costs. "stamped": the
// blobs' verification stamps match (the usual case); "unstamped": every
// blob is hashed (a store without stamps, or blobs touched since).
func BenchmarkMaterialize(b *testing.B) {
	const files, size = 4, 64 << 20
	ctx := context.Background()
	root := b.TempDir()
	dir := filepath.Join(root, "out")
	os.MkdirAll(dir, 0o755)
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for f := 0; f < files; f++ {
		data[0] = byte(f)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("model-%05d.safetensors", f)), data, 0o644)
	}
	s, err := store.Open(ctx, filepath.Join(root, "store"))
	if err != nil {
		b.Fatal(err)
	}
	desc, err := s.PutDir(ctx, dir, specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, stamped := range []bool{true, false} {
		name := map[bool]string{true: "stamped", false: "unstamped"}[stamped]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(files * size)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if !stamped {
					os.RemoveAll(filepath.Join(s.Root(), "verified"))
				}
				n++
				out := filepath.Join(root, fmt.Sprintf("in-%d", n))
				b.StartTimer()
				if err := s.Materialize(ctx, desc, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
