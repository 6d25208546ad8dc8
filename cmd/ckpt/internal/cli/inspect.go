package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newInspectCmd is a placeholder until the verb is implemented.
func newInspectCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "inspect", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("inspect: not implemented yet")
	}}
}
