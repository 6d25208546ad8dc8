package host_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type printEvents struct{}

func (printEvents) Log(msg string)                          { fmt.Println(msg) }
func (printEvents) Progress(done, total int64, unit string) {}
func (printEvents) Diagnostic(d specv1.Diagnostic)          { fmt.Println(d.Severity, d.Summary) }

// A build opens one Host for the spec's folder, resolves components, runs
// steps in their plugins' processes and closes the host at the end.
func Example() {
	ctx := context.Background()
	self, _ := os.Executable() // the ckpt binary serves the built-ins
	h, err := host.New(host.Options{Self: self, Dir: "examples/quickstart", Version: "0.1.0", Stderr: os.Stderr})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close() // kills every plugin process

	cs, err := h.Components(ctx) // usually from the describe cache
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cs {
		fmt.Println(c.Address(), c.Plugin, c.Version, c.Digest)
	}
	md, err := h.Execute(ctx, host.BuiltinName, &specv1.RunRequest{Kind: "model", Type: "dir", Step: "model.base",
		Config: []byte(`{"path":"/abs/base","id":"mistral-7b-instruct-v0.3"}`), OutputDir: "/tmp/out", ScratchDir: "/tmp/scratch"}, printEvents{})
	fmt.Println(md, err)
}
