package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newCheckCmd is a placeholder until the verb is implemented.
func newCheckCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "check", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("check: not implemented yet")
	}}
}
