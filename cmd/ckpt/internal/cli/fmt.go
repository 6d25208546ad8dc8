package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newFmtCmd is a placeholder until the verb is implemented.
func newFmtCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "fmt", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("fmt: not implemented yet")
	}}
}
