package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newGraphCmd is a placeholder until the verb is implemented.
func newGraphCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "graph", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("graph: not implemented yet")
	}}
}
