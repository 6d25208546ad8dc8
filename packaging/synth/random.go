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

// fill describes how to generate one tensor, seen as [rows, cols]: norms
// are ones, others normal with one generator per row. srcRow maps an output
// row to the native row whose generator it uses (HF q/k rows are the
// native rows permuted), so that an HF model is the exact conversion of the
// native model of the same seed.
type fill struct {
	file       *safetensors.FileWriter
	name       string // tensor name in the file
	key        string // native name seeding the generators
	dtype      safetensors.DType
	rows, cols int64
	ones       bool
	srcRow     func(int64) int64
}

// row generates native row idx of a tensor.
func row(seed uint64, key string, idx int64, ones bool, dst []float32) {
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

// job is a range of rows of one tensor.
type job struct {
	f      *fill
	r0, r1 int64
}

// writeAll generates every tensor in row ranges of about blockElems
// elements on a bounded pool of workers, each with its own buffers.
func writeAll(ctx context.Context, seed uint64, fills []*fill) error {
	jobs := make(chan job)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var f32 []float32
			var out []byte
			for j := range jobs {
				n := (j.r1 - j.r0) * j.f.cols
				if int64(cap(f32)) < n {
					f32, out = make([]float32, n), make([]byte, n*4)
				}
				if err := writeRows(seed, j, f32[:n], out); err != nil {
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
		per := max(1, blockElems/max(f.cols, 1))
		for r0 := int64(0); r0 < f.rows; r0 += per {
			select {
			case jobs <- job{f, r0, min(f.rows, r0+per)}:
			case <-ctx.Done():
				return ctx.Err()
			case err := <-errc:
				return err
			}
		}
	}
	return nil
}

func writeRows(seed uint64, j job, vals []float32, out []byte) error {
	c := j.f.cols
	for r := j.r0; r < j.r1; r++ {
		src := r
		if j.f.srcRow != nil {
			src = j.f.srcRow(r)
		}
		row(seed, j.f.key, src, j.f.ones, vals[(r-j.r0)*c:(r-j.r0+1)*c])
	}
	size := int64(j.f.dtype.Size())
	buf := out[:int64(len(vals))*size]
	if err := safetensors.Encode(j.f.dtype, vals, buf); err != nil {
		return err
	}
	return j.f.file.WriteAt(j.f.name, buf, j.r0*c*size)
}
