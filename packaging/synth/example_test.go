package synth_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// A tiny native model and a rank-4 PEFT adapter for it, as tests use them.
func Example() {
	dir, _ := os.MkdirTemp("", "synth")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	base := filepath.Join(dir, "base")
	if err := synth.Model(ctx, base, synth.ModelOptions{Seed: 1}); err != nil {
		panic(err)
	}
	if err := synth.Adapter(ctx, filepath.Join(dir, "lora"), synth.AdapterOptions{Base: base, Rank: 4, Seed: 2}); err != nil {
		panic(err)
	}
	a, err := peft.Read(filepath.Join(dir, "lora"), peft.FormatPEFT)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Rank, len(a.Modules), a.Modules[0].Name)
	// Output: 4 14 model.layers.0.mlp.down_proj
}
