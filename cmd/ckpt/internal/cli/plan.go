package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newPlanCmd is a placeholder until the verb is implemented.
func newPlanCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "plan", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("plan: not implemented yet")
	}}
}
