package cli

import (
	"context"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/plugins/host"
)

// resolver is a plan.Resolver over a fixed set of components.
type resolver struct {
	components []plan.Component
}

func (r *resolver) Resolve(kind, typ string) (plan.Component, bool) {
	for _, c := range r.components {
		if c.Kind == kind && c.Type == typ {
			return c, true
		}
	}
	return plan.Component{}, false
}

// Components lists every component, for "did you mean" suggestions.
func (r *resolver) Components() []plan.Component { return r.components }

// newResolver returns the resolver over the components h provides: the
// built-in plugin's and the locked external plugins', each identified by
// its plugin's name, version and binary digest (as the host hashed it).
// Descriptions are remembered by digest, so this usually starts no process.
func newResolver(ctx context.Context, h *host.Host) (plan.Resolver, error) {
	cs, err := h.Components(ctx)
	if err != nil {
		return nil, err
	}
	r := &resolver{components: make([]plan.Component, 0, len(cs))}
	for _, c := range cs {
		r.components = append(r.components, plan.Component{Component: c.Component,
			Plugin: plan.PluginID{Name: c.Plugin, Version: c.Version, Digest: c.Digest}})
	}
	return r, nil
}
