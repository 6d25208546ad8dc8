package synth

import (
	"fmt"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// Sized returns the options of a Mistral-shaped model whose weights take at
// least size bytes in dtype and less than one layer more: the widest of
// the shapes dim 4096 (Mistral 7B: 32 heads, 8 kv heads, hidden 14336,
// vocab 32768), 2048, 1024, 512, 256 or 128 that has two layers within
// size, with as many layers as size needs.
func Sized(size int64, dtype string) (ModelOptions, error) {
	if dtype == "" {
		dtype = "bf16"
	}
	dt, err := safetensors.ParseShortName(dtype)
	if err != nil {
		return ModelOptions{}, err
	}
	for dim := 4096; dim >= 128; dim /= 2 {
		o := ModelOptions{Dim: dim, Heads: max(4, dim/128), Hidden: dim * 7 / 2, Vocab: 32768, DType: dtype, Layers: 1}
		if dim < 1024 {
			o.Vocab = 1280
		}
		o.KVHeads = max(1, o.Heads/4)
		one, err := weightBytes(o, dt)
		if err != nil {
			return ModelOptions{}, err
		}
		o.Layers = 2
		two, _ := weightBytes(o, dt)
		if two > size && dim > 128 {
			continue
		}
		layer := two - one
		o.Layers = max(2, int((size-(one-layer)+layer-1)/layer))
		return o, nil
	}
	return ModelOptions{}, fmt.Errorf("synth: size %d is below the smallest model", size)
}

// weightBytes is the size of the weights o describes, in dtype dt.
func weightBytes(o ModelOptions, dt safetensors.DType) (int64, error) {
	p, err := o.Params()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, t := range mistral.ExpectedTensors(p) {
		e := int64(1)
		for _, d := range t.Shape {
			e *= d
		}
		n += e * int64(dt.Size())
	}
	return n, nil
}
