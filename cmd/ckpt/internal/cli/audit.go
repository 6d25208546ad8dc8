package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newAuditCmd is a placeholder until the verb is implemented.
func newAuditCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "audit", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("audit: not implemented yet")
	}}
}
