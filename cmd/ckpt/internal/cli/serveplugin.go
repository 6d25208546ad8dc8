package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newServePluginCmd is a placeholder until the verb is implemented.
func newServePluginCmd(_ *IO) *cobra.Command {
	return &cobra.Command{Use: "__plugin", Short: "(not implemented yet)", RunE: func(*cobra.Command, []string) error {
		return errors.New("__plugin: not implemented yet")
	}}
}
