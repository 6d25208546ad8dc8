// Package cli holds ckpt's commands, one file per verb. It is the only place
// that wires the pipeline, the plugin host and the packaging code together.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Version is ckpt's version, set at link time with -ldflags "-X".
var Version = "0.1.0-dev"

// IO is where a command reads and writes; tests inject buffers.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	IsTerm bool // Out is a terminal: show progress bars
}

// ExitError carries a process exit code through cobra.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// exitCode returns err wrapped to exit with code; a nil err prints nothing.
func exitCode(code int, err error) error { return &ExitError{Code: code, Err: err} }

// Main runs ckpt with args and returns the process exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stdio := &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, IsTerm: isTerminal(os.Stdout)}
	return Run(ctx, stdio, args)
}

// Run runs one ckpt command line against stdio.
func Run(ctx context.Context, stdio *IO, args []string) int {
	root := NewRoot(stdio)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(stdio.Err, "Error:", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintln(stdio.Err, "Error:", err)
	if isUsageError(err) {
		return 2
	}
	return 1
}

// NewRoot returns the ckpt command tree.
func NewRoot(stdio *IO) *cobra.Command {
	root := &cobra.Command{
		Use:           "ckpt",
		Short:         "Build, check and publish ML checkpoint bundles",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newVersionCmd(stdio),
		newValidateCmd(stdio), newFmtCmd(stdio), newPlanCmd(stdio), newGraphCmd(stdio),
		newInitCmd(stdio), newBuildCmd(stdio), newExportCmd(stdio), newLedgerCmd(stdio),
		newSynthCmd(stdio), newCheckCmd(stdio), newCheckDataCmd(stdio), newAuditCmd(stdio),
		newPushCmd(stdio), newPullCmd(stdio), newUnpackCmd(stdio), newInspectCmd(stdio), newCopyCmd(stdio),
		newGCCmd(stdio), newStoreCmd(stdio), newCacheCmd(stdio), newServePluginCmd(stdio),
		newTemplateCmd(stdio), newSignCmd(stdio),
	)
	root.AddCommand(newEvalCmd(stdio))
	return root
}

// usageError marks a command-line mistake (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// usagef returns a usage error (exit code 2).
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }
