package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newLedgerCmd is a placeholder until the verb is implemented.
func newLedgerCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "ledger", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("ledger: not implemented yet")
	}}
}
