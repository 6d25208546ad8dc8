package safetensors_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// Write a file, then read one tensor's header and data without loading the
// rest.
func Example() {
	dir, _ := os.MkdirTemp("", "st")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "model.safetensors")
	one := []byte{0x80, 0x3f} // bf16 1.0
	err := safetensors.WriteFile(p, []safetensors.Tensor{
		{Spec: safetensors.Spec{Name: "norm.weight", DType: safetensors.BF16, Shape: []int64{1}}, Data: one},
	}, safetensors.WriteOptions{})
	if err != nil {
		panic(err)
	}
	f, err := safetensors.Open(p)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	t, _ := f.Tensor("norm.weight")
	v, _ := f.Floats("norm.weight")
	fmt.Println(t.DType, t.Shape, v, f.Metadata["format"])
	// Output: BF16 [1] [1] pt
}
