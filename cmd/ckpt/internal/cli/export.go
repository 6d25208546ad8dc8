package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newExportCmd is a placeholder until the verb is implemented.
func newExportCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "export", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("export: not implemented yet")
	}}
}
