package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/cache"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
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

// remoteCache opens the build's remote cache, nil when it has none.
func (o *buildOptions) remoteCache(ctx context.Context, stdio *IO, files map[string]*hcl.File, g *plan.Graph, st cache.Local) (run.RemoteCache, error) {
	ref, diags, err := o.Cache.pick(g.Cache)
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		writeDiags(stdio, files, diags)
		return nil, exitCode(1, nil)
	}
	if ref == "" {
		return nil, nil
	}
	c, err := openCache(ctx, ref, st, o.PlainHTTP)
	if err != nil {
		return nil, err
	}
	return c, nil
}
