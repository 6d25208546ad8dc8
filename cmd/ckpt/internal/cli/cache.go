package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/cache"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
	"github.com/ckpt-dev/ckpt/plugins/host"
)

// EnvCache names the remote cache when --cache is not given (it overrides
// the spec's ckpt { cache { ref } }).
const EnvCache = "CKPT_CACHE"

var _ run.RemoteCache = (*cache.Cache)(nil)

// cacheFlags choose the remote cache of build, push and export.
type cacheFlags struct {
	ref      string
	readOnly bool
}

func (f *cacheFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.ref, "cache", "", "remote cache: a registry repository `REF` (default: $"+EnvCache+", else the spec's ckpt { cache { ref } })")
	cmd.Flags().BoolVar(&f.readOnly, "cache-readonly", false, "look steps up in the remote cache but never write to it (untrusted builds)")
}

// pick returns the remote cache reference, flag > environment > spec, and
// where it came from; "" when there is none. A bad reference from the
// spec is a diagnostic at its range; from the flag or the environment, a
// usage error.
func (f *cacheFlags) pick(sc *spec.Cache) (string, hcl.Diagnostics, error) {
	from, ref := "--cache", f.ref
	if ref == "" {
		from, ref = EnvCache, os.Getenv(EnvCache)
	}
	if ref == "" && sc != nil {
		if _, err := cache.ParseRef(sc.Ref); err != nil {
			return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid cache ref", Detail: err.Error(), Subject: sc.Range.Ptr()}}, nil
		}
		return sc.Ref, nil, nil
	}
	if ref == "" {
		if f.readOnly {
			return "", nil, usagef("--cache-readonly: no remote cache (--cache, %s or the spec's cache block)", EnvCache)
		}
		return "", nil, nil
	}
	if _, err := cache.ParseRef(ref); err != nil {
		return "", nil, usagef("%s: %w", from, err)
	}
	return ref, nil, nil
}

// openCache opens the remote cache ref over the local store st with the
// transfer settings of push (plain HTTP for local registries).
func openCache(ctx context.Context, ref string, st cache.Local, plainHTTP bool) (*cache.Cache, error) {
	o := cache.Options{}
	o.Options = ckptremote.Options{PlainHTTP: plainHTTP, UserAgent: "ckpt/" + Version}
	c, err := cache.Open(ctx, ref, st, o)
	if err != nil {
		return nil, fmt.Errorf("remote cache: %w", err)
	}
	return c, nil
}

// buildCache is a build's remote cache: opened once the spec is read, for
// the plugin host's memos (its memo method is the build's remoteMemo),
// then given the local store for the steps.
type buildCache struct {
	o *buildOptions
	c *cache.Cache
	// err is a usage error found while opening it.
	err error
}

var _ host.RemoteMemo = (*cache.Cache)(nil)

// memo picks and opens the remote cache of spec sp; a bad reference in
// the spec is a diagnostic at its range.
func (b *buildCache) memo(ctx context.Context, sp *spec.Spec) (host.RemoteMemo, bool, hcl.Diagnostics) {
	ref, diags, err := b.o.Cache.pick(sp.Required.Cache)
	if err != nil || ref == "" || diags.HasErrors() {
		b.err = err
		return nil, false, diags
	}
	c, err := openCache(ctx, ref, nil, b.o.PlainHTTP)
	if err != nil {
		return nil, false, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot open the remote cache", Detail: err.Error()}}
	}
	b.c = c
	return c, b.o.Cache.readOnly, nil
}

// steps is the remote cache over the local store st, nil when there is
// none.
func (b *buildCache) steps(st cache.Local) run.RemoteCache {
	if b.c == nil {
		return nil
	}
	return b.c.WithLocal(st)
}
