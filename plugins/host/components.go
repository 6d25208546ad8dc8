package host

import (
	"context"
	"fmt"
	"sort"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Components lists the components of the built-in plugin (when Self is
// set) and of every locked external plugin, sorted by kind and type.
// Describe answers are cached on disk (and in the remote memo) by binary
// digest, so that a call usually starts no process. A binary found in a plugin folder but absent
// from the lock file is ignored with a warning on Stderr.
func (h *Host) Components(ctx context.Context) ([]Component, error) {
	var names []string
	if h.opts.Self != "" {
		names = append(names, BuiltinName)
	}
	for _, p := range h.lock.Plugins {
		names = append(names, p.Name)
	}
	for _, n := range installed(h.opts.Dir) {
		if _, ok := h.lock.Get(n); !ok {
			fmt.Fprintf(h.opts.Stderr, "Warning: ignoring plugin binary %s%s: not in %s (run ckpt init)\n", BinaryPrefix, n, LockFile)
		}
	}
	var out []Component
	owner := map[string]string{}
	for _, n := range names {
		cs, err := h.components(ctx, n)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if o, dup := owner[c.Address()]; dup {
				return nil, fmt.Errorf("component %s is provided by both plugin %s and plugin %s", c.Address(), o, c.Plugin)
			}
			owner[c.Address()] = c.Plugin
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address() < out[j].Address() })
	return out, nil
}

// components describes one plugin, through the cache when possible.
func (h *Host) components(ctx context.Context, name string) ([]Component, error) {
	bin, err := h.binary(name)
	if err != nil {
		return nil, err
	}
	d, err := h.describe(ctx, bin)
	if err != nil {
		return nil, err
	}
	out := make([]Component, 0, len(d.Components))
	for _, c := range d.Components {
		out = append(out, Component{Component: c, Plugin: name, Version: d.Version, Digest: bin.digest})
	}
	return out, nil
}

// describe returns bin's Description from the describe memo (keyed by
// the binary's digest: the state folder's, then the remote cache's) or by
// asking it.
func (h *Host) describe(ctx context.Context, bin binary) (*sdk.Description, error) {
	memo := h.memo("describe")
	id := specv1.PluginID{Name: bin.name, Digest: bin.digest}
	var cached sdk.Description
	if memo.get(ctx, bin.digest, id, true, &cached, func() bool { return checkDescription(bin, &cached) == nil }) {
		return &cached, nil
	}
	p, err := h.proc(ctx, bin.name)
	if err != nil {
		return nil, err
	}
	d, err := p.remote.Describe(ctx)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", bin.name, err)
	}
	if err := checkDescription(bin, d); err != nil {
		return nil, err
	}
	memo.put(ctx, bin.digest, id, true, d)
	return d, nil
}

func checkDescription(bin binary, d *sdk.Description) error {
	if d.ProtocolVersion != sdk.ProtocolVersion {
		return fmt.Errorf("plugin %s (%s) speaks protocol %d, ckpt speaks %d", bin.name, bin.path, d.ProtocolVersion, sdk.ProtocolVersion)
	}
	if d.Name != bin.name {
		return fmt.Errorf("plugin binary %s describes itself as plugin %q, not %q", bin.path, d.Name, bin.name)
	}
	return nil
}
