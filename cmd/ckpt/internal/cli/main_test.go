package cli

import (
	"context"
	"os"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/host"
)

// TestMain lets the test binary serve the built-in plugin as ckpt does:
// commands run in process (validate, plan) start os.Executable() with the
// hidden command, as the real binary does.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == host.ServeCommand {
		os.Exit(Run(context.Background(), &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:]))
	}
	os.Exit(m.Run())
}
