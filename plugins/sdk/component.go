// Package sdk is what a ckpt plugin author imports: the Component interface a
// step type implements, the Plugin that groups components in one binary, and
// Serve, which answers the host over go-plugin's gRPC transport.
//
// The SDK imports neither HCL nor ckpt's packaging code: a component declares
// its configuration as a specs/v1 Schema, receives its config as JSON and its
// inputs as read-only folders, and writes its files into an output folder.
// Large data never crosses the wire.
package sdk

import (
	"context"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Component is one step type (KIND "TYPE") a plugin provides.
type Component interface {
	// Describe returns the component's kind, type and configuration schema.
	// It must be stable: the same answer on every call.
	Describe() specv1.Component
	// Validate checks a configuration before any run. Input metadata is
	// given when the inputs are already built. Diagnostics carry the
	// attribute path they concern.
	Validate(ctx context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic
	// Run performs the step: it reads req.Inputs, writes files into
	// req.OutputDir only, reports progress through ev and returns the output
	// artifact's metadata. It must return promptly when ctx is cancelled.
	Run(ctx context.Context, req *specv1.RunRequest, ev Events) (*specv1.Metadata, error)
}

// Events is how a running component reports to the host: the contract
// specv1.Events, named here so that a component's Run reads sdk.Events.
type Events = specv1.Events

// Plugin is a named, versioned set of components served by one binary.
type Plugin struct {
	Name       string
	Version    string
	Components []Component
}

// Component returns the component for kind and typ, or nil.
func (p *Plugin) Component(kind, typ string) Component {
	for _, c := range p.Components {
		d := c.Describe()
		if d.Kind == kind && d.Type == typ {
			return c
		}
	}
	return nil
}
