package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCmd(stdio *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print ckpt's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(stdio.Out, "ckpt %s %s/%s %s\n", Version, runtime.GOOS, runtime.GOARCH, runtime.Version())
			return err
		},
	}
}
