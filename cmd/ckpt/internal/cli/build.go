package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newBuildCmd is a placeholder until the verb is implemented.
func newBuildCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "build", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("build: not implemented yet")
	}}
}
