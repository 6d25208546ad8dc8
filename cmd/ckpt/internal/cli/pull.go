package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newPullCmd is a placeholder until the verb is implemented.
func newPullCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "pull", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("pull: not implemented yet")
	}}
}
