package compat_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/packaging/synth/breaks"
)

// ExampleCheck synthesizes a tiny native model, breaks its EOS id and
// checks it with the profiles its layout claims.
func ExampleCheck() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "compat-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := synth.Model(ctx, dir, synth.ModelOptions{}); err != nil {
		panic(err)
	}
	claims, _ := compat.Claims(dir)
	fmt.Println("claims:", claims)
	if _, err := breaks.Apply(ctx, dir, compat.EOSMismatch); err != nil {
		panic(err)
	}
	findings, err := compat.Check(ctx, dir, compat.Options{})
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Println(f.Severity, f.Code, f.File, f.Path)
	}
	// Output:
	// claims: [vllm-mistral mistral-inference]
	// error eos.mismatch generation_config.json eos_token_id
}
