package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newInitCmd is a placeholder until the verb is implemented.
func newInitCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "init", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("init: not implemented yet")
	}}
}
