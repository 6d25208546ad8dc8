package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newCheckDataCmd is a placeholder until the verb is implemented.
func newCheckDataCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "check-data", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("check-data: not implemented yet")
	}}
}
