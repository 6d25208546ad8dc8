package cli

import (
	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/plugins/builtin"
	"github.com/ckpt-dev/ckpt/plugins/host"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
)

// newServePluginCmd is the hidden command the plugin host re-executes ckpt
// with to serve the built-in components over go-plugin. Its name is far from
// any public verb on purpose; it is not meant to be run by hand.
func newServePluginCmd(_ *IO) *cobra.Command {
	return &cobra.Command{
		Use:    host.ServeCommand,
		Short:  "Serve ckpt's built-in plugin (started by ckpt itself)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			sdk.Serve(builtin.Plugin(Version))
			return nil
		},
	}
}
