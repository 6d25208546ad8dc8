package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// A step's output folder becomes an artifact; its files are moved into the
// store and can be handed to the next step as a read-only hard-link tree.
func ExampleStore_PutDir() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(tmp)
	s, err := store.Open(ctx, filepath.Join(tmp, ".ckpt", "store"))
	if err != nil {
		panic(err)
	}
	out := filepath.Join(tmp, "out")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "params.json"), []byte(`{"dim": 8}`), 0o644)

	desc, err := s.PutDir(ctx, out, specv1.Metadata{Kind: "model", ID: "tiny"}, nil)
	if err != nil {
		panic(err)
	}
	s.Tag(ctx, desc, "step-model.base")

	got, _ := s.Resolve(ctx, "step-model.base")
	in := filepath.Join(tmp, "in")
	s.Materialize(ctx, got, in)
	b, _ := os.ReadFile(filepath.Join(in, "params.json"))
	fmt.Println(got.Digest == desc.Digest, string(b))
	// Output: true {"dim": 8}
}
