package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/plugins/builtin"
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

// newResolver returns the resolver for a spec folder: the built-in plugin's
// components, identified by the digest of the running ckpt binary, and the
// components of the external plugins locked in dir's .ckpt.lock.hcl.
func newResolver(ctx context.Context, dir string) (plan.Resolver, error) {
	digest, err := executableDigest()
	if err != nil {
		return nil, err
	}
	p := builtin.Plugin(Version)
	id := plan.PluginID{Name: p.Name, Version: p.Version, Digest: digest}
	r := &resolver{}
	for _, c := range p.Components {
		r.components = append(r.components, plan.Component{Component: c.Describe(), Plugin: id})
	}
	ext, err := externalComponents(ctx, dir)
	if err != nil {
		return nil, err
	}
	for _, c := range ext {
		if b, dup := r.Resolve(c.Kind, c.Type); dup {
			return nil, fmt.Errorf("plugin %s provides %s, which plugin %s already provides", c.Plugin.Name, c.Address(), b.Plugin.Name)
		}
		r.components = append(r.components, c)
	}
	return r, nil
}

// externalComponents lists the locked external plugins' components; their
// Describe answers are cached by digest, so this usually starts no process.
func externalComponents(ctx context.Context, dir string) ([]plan.Component, error) {
	h, err := host.New(host.Options{Dir: dir, Version: Version})
	if err != nil {
		return nil, err
	}
	defer h.Close()
	cs, err := h.Components(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]plan.Component, 0, len(cs))
	for _, c := range cs {
		out = append(out, plan.Component{Component: c.Component,
			Plugin: plan.PluginID{Name: c.Plugin, Version: c.Version, Digest: c.Digest}})
	}
	return out, nil
}

// executableDigest is "sha256:" of the running binary, hashed once per
// process: the binary does not change while it runs.
var executableDigest = sync.OnceValues(func() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find ckpt binary: %w", err)
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", fmt.Errorf("hash ckpt binary %s: %w", exe, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash ckpt binary %s: %w", exe, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
})
