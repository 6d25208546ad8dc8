package tree_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/tree"
)

// A plugin carries its input checkpoint into its output folder: hard links
// where possible, hidden entries (.git, .cache) left out.
func ExampleLink() {
	in, _ := os.MkdirTemp("", "in")
	out, _ := os.MkdirTemp("", "out")
	defer os.RemoveAll(in)
	defer os.RemoveAll(out)
	os.WriteFile(filepath.Join(in, "params.json"), []byte(`{"dim": 8}`), 0o444)
	os.WriteFile(filepath.Join(in, ".gitattributes"), nil, 0o644)

	n, err := tree.Link(context.Background(), in, out, tree.Options{})
	fmt.Println(n, err)
	// Output: 1 <nil>
}
