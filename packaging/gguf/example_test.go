package gguf_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

func ExampleExport() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "gguf-example")
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "model")
	if err := synth.Model(ctx, src, synth.ModelOptions{}); err != nil {
		panic(err)
	}
	out := filepath.Join(tmp, "tiny-Q8_0.gguf")
	err := gguf.Export(ctx, src, out, gguf.Options{Type: gguf.FileQ8_0, Name: "tiny", License: "Apache-2.0"})
	if err != nil {
		panic(err)
	}
	f, err := gguf.ReadFile(out)
	if err != nil {
		panic(err)
	}
	arch, _ := f.Get("general.architecture")
	pre, _ := f.Get("tokenizer.ggml.pre")
	q, _ := f.Tensor("blk.0.attn_q.weight")
	fmt.Println(arch, pre, len(f.Tensors), "tensors")
	fmt.Println(q.Name, q.Shape, q.Type)
	// Output:
	// llama tekken 21 tensors
	// blk.0.attn_q.weight [64 64] Q8_0
}
