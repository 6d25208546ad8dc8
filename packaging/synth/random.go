package synth

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// blockElems is the number of elements each generator block covers.
const blockElems = 1 << 20

// Std is the standard deviation of synthetic weights.
const Std = 0.02

// fill describes how to generate one tensor: norms are ones, others normal.
type fill struct {
	file  *safetensors.FileWriter
	name  string // tensor name in the file
	key   string // native name seeding the generator
	dtype safetensors.DType
	elems int64
	ones  bool
}

// block generates elements [start, start+len(dst)) of a tensor.
func block(seed uint64, key string, idx int64, ones bool, dst []float32) {
	if ones {
		for i := range dst {
			dst[i] = 1
		}
		return
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	r := rand.New(rand.NewPCG(seed, h.Sum64()^uint64(idx)*0x9e3779b97f4a7c15))
	for i := range dst {
		dst[i] = float32(r.NormFloat64() * Std)
	}
}

// isNorm reports whether a tensor is an RMSNorm vector (initialised to 1).
func isNorm(name string) bool {
	return strings.Contains(name, "norm") || strings.HasSuffix(name, "ln_pre.weight")
}

type job struct {
	f     *fill
	block int64
}

// writeAll generates every tensor block by block on a bounded pool of
// workers, each with its own buffers.
func writeAll(ctx context.Context, seed uint64, fills []*fill) error {
	jobs := make(chan job)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f32 := make([]float32, blockElems)
			out := make([]byte, blockElems*4)
			for j := range jobs {
				if err := writeBlock(seed, j, f32, out); err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			}
		}()
	}
	err := feed(ctx, fills, jobs, errc)
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

func feed(ctx context.Context, fills []*fill, jobs chan<- job, errc chan error) error {
	for _, f := range fills {
		for b := int64(0); b*blockElems < f.elems; b++ {
			select {
			case jobs <- job{f, b}:
			case <-ctx.Done():
				return ctx.Err()
			case err := <-errc:
				return err
			}
		}
	}
	return nil
}

func writeBlock(seed uint64, j job, f32 []float32, out []byte) error {
	start := j.block * blockElems
	n := min(int64(blockElems), j.f.elems-start)
	vals := f32[:n]
	block(seed, j.f.key, j.block, j.f.ones, vals)
	size := int64(j.f.dtype.Size())
	buf := out[:n*size]
	if err := safetensors.Encode(j.f.dtype, vals, buf); err != nil {
		return err
	}
	return j.f.file.WriteAt(j.f.name, buf, start*size)
}
