package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newValidateCmd is a placeholder until the verb is implemented.
func newValidateCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "validate", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("validate: not implemented yet")
	}}
}
