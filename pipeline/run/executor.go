// Package run walks a plan's DAG with bounded parallelism: it skips steps
// whose cache key is already in the store, hands the others to an Executor
// (plugin processes), moves their outputs into the store, streams events and
// appends a ledger entry for every build.
package run

import (
	"context"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Executor runs one step in its plugin. plugin is the plugin name from
// plan.PluginID.
type Executor interface {
	Execute(ctx context.Context, plugin string, req *specv1.RunRequest, ev specv1.Events) (*specv1.Metadata, error)
}

// A step's events reach the sink through stepEvents.
var _ specv1.Events = (*stepEvents)(nil)
