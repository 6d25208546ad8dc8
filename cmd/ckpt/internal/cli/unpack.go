package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newUnpackCmd is a placeholder until the verb is implemented.
func newUnpackCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "unpack", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("unpack: not implemented yet")
	}}
}
