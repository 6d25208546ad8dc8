package synth_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// TestSized: a model of at least the size asked and less than one layer
// more; 10 GiB is Mistral 7B's shape with 24 layers.
func TestSized(t *testing.T) {
	o, err := synth.Sized(10<<30, "bf16")
	if err != nil {
		t.Fatal(err)
	}
	if o.Dim != 4096 || o.Heads != 32 || o.KVHeads != 8 || o.Hidden != 14336 || o.Vocab != 32768 || o.Layers != 24 {
		t.Errorf("10GiB: %+v, want Mistral 7B's shape with 24 layers", o)
	}
	for _, size := range []int64{1 << 20, 64 << 20, 1 << 30, 10 << 30, 100 << 30} {
		o, err := synth.Sized(size, "bf16")
		if err != nil {
			t.Fatal(err)
		}
		got, layer := weights(t, o), weights(t, o)-weights(t, with(o, o.Layers-1))
		if got < size || (o.Layers > 2 && got-layer >= size) {
			t.Errorf("size %d: %d layers of dim %d make %d bytes (a layer is %d)", size, o.Layers, o.Dim, got, layer)
		}
	}
}

func with(o synth.ModelOptions, layers int) synth.ModelOptions { o.Layers = layers; return o }

// weights is the bytes of the tensors o describes.
func weights(t *testing.T, o synth.ModelOptions) int64 {
	p, err := o.Params()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, ts := range mistral.ExpectedTensors(p) {
		e := int64(2)
		for _, d := range ts.Shape {
			e *= d
		}
		n += e
	}
	return n
}

// TestSizedShardedReproducible: a sized HF model written with every shard
// at once is a valid transformers checkpoint, byte-identical for a seed.
func TestSizedShardedReproducible(t *testing.T) {
	o, err := synth.Sized(24<<20, "bf16")
	if err != nil {
		t.Fatal(err)
	}
	o.Layout, o.ShardSize, o.Seed = mistral.FormatHF, 6<<20, 7
	var dirs []string
	for range 2 {
		dir := t.TempDir()
		if err := synth.Model(t.Context(), dir, o); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	shards, _ := filepath.Glob(filepath.Join(dirs[0], "model-*-of-*.safetensors"))
	if len(shards) < 4 {
		t.Fatalf("%d shards, want at least 4 of 6 MiB", len(shards))
	}
	var total int64
	for _, s := range shards {
		a, _ := os.ReadFile(s)
		b, _ := os.ReadFile(filepath.Join(dirs[1], filepath.Base(s)))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with the same seed", filepath.Base(s))
		}
		total += int64(len(a))
	}
	if total < 24<<20 {
		t.Errorf("%d bytes of shards, want at least 24 MiB", total)
	}
	fs, err := compat.Check(t.Context(), dirs[0], compat.Options{})
	if err != nil || len(fs) != 0 {
		t.Errorf("check: %v %+v", err, fs)
	}
}
