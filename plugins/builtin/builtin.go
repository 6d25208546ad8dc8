// Package builtin gathers the step types compiled into the ckpt binary. They
// run out of process like any plugin: the host re-executes ckpt with a hidden
// command that serves this plugin.
package builtin

import (
	"github.com/ckpt-dev/ckpt/plugins/adapter"
	"github.com/ckpt-dev/ckpt/plugins/bundle"
	"github.com/ckpt-dev/ckpt/plugins/dataset"
	"github.com/ckpt-dev/ckpt/plugins/eval"
	"github.com/ckpt-dev/ckpt/plugins/export"
	"github.com/ckpt-dev/ckpt/plugins/license"
	"github.com/ckpt-dev/ckpt/plugins/merge"
	"github.com/ckpt-dev/ckpt/plugins/model"
	"github.com/ckpt-dev/ckpt/plugins/push"
	"github.com/ckpt-dev/ckpt/plugins/runner"
	"github.com/ckpt-dev/ckpt/plugins/runtime"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
)

// Name is the plugin name of the built-in components.
const Name = "builtin"

// Plugin returns the built-in plugin at the given ckpt version.
func Plugin(version string) *sdk.Plugin {
	var cs []sdk.Component
	for _, f := range []func() []sdk.Component{
		model.Components, adapter.Components, dataset.Components, merge.Components, export.Components, bundle.GGUFComponents,
		runner.Components, runtime.Components, license.Components, eval.Components, bundle.Components, push.Components,
	} {
		cs = append(cs, f()...)
	}
	return &sdk.Plugin{Name: Name, Version: version, Components: cs}
}
