package remote_test

import (
	"context"
	"fmt"

	"github.com/ckpt-dev/ckpt/packaging/remote"
)

// ParseRef reads the two reference forms of push, pull and inspect.
func ExampleParseRef() {
	for _, s := range []string{"localhost:5000/models/support:v1", "oci:./out/oci:2026-11-27"} {
		r, _ := remote.ParseRef(s)
		fmt.Println(r.IsLayout(), r.Reference, r)
	}
	// Output:
	// false v1 localhost:5000/models/support:v1
	// true 2026-11-27 oci:./out/oci:2026-11-27
}

// Pull writes the files of a model artifact into a folder, verified; here
// only its JSON files, from a registry on this machine.
func ExamplePull() {
	ref, _ := remote.ParseRef("localhost:5000/models/support:v1")
	res, err := remote.Pull(context.Background(), ref, "./support", remote.PullOptions{
		Options: remote.Options{PlainHTTP: true},
		Include: []string{"*.json"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Manifest.Digest, res.Files)
}
