// Command hostproc is a plugin host for the host's tests: it runs check
// "testplug" in mode sleep from the project in os.Args[1], prints the
// plugin's "pid N" log line to stdout and waits to be killed.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type events struct{}

func (events) Log(msg string)                { fmt.Println(msg) }
func (events) Progress(int64, int64, string) {}
func (events) Diagnostic(specv1.Diagnostic)  {}

func main() {
	h, err := host.New(host.Options{Dir: os.Args[1], Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg, _ := json.Marshal(map[string]string{"mode": "sleep"})
	req := &specv1.RunRequest{Kind: "check", Type: "testplug", Step: "check.sleep", Config: cfg,
		OutputDir: os.TempDir(), ScratchDir: os.TempDir()}
	_, err = h.Execute(context.Background(), "testplug", req, events{})
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
