package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newSynthCmd is a placeholder until the verb is implemented.
func newSynthCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "synth", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("synth: not implemented yet")
	}}
}
