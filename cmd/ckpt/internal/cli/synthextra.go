package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newSynthBreakCmd is a placeholder for `ckpt synth break` (runtime checks).
func newSynthBreakCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "break", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("synth break: not implemented yet")
	}}
}
