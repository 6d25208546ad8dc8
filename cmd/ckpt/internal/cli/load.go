package cli

import (
	"context"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
	"github.com/ckpt-dev/ckpt/plugins/host"
)

// specFlags are the flags of every command that loads a spec.
type specFlags struct {
	vars     []string
	varFiles []string
}

// register adds --var and --var-file to cmd.
func (f *specFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a variable, `NAME=VALUE` (repeatable; overrides --var-file and CKPT_VAR_NAME)")
	cmd.Flags().StringArrayVar(&f.varFiles, "var-file", nil, "read variables from an HCL `FILE` of NAME = VALUE lines (repeatable)")
}

// check reports a malformed --var as a usage error.
func (f *specFlags) check() error {
	for _, kv := range f.vars {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			return usagef("--var %q: want NAME=VALUE", kv)
		}
	}
	return nil
}

// specPath returns the PATH argument, "." by default.
func specPath(args []string) (string, error) {
	switch len(args) {
	case 0:
		return ".", nil
	case 1:
		return args[0], nil
	}
	return "", usagef("expected at most one PATH, got %d arguments", len(args))
}

// loadGraph loads the spec at path, plans it with the built-in and
// installed plugins and has each plugin validate the steps whose config is
// fully known. It returns the parsed files (for snippets) and every
// diagnostic; the graph is nil when the spec could not be read at all.
func loadGraph(ctx context.Context, stdio *IO, path string, f *specFlags) (*plan.Graph, map[string]*hcl.File, hcl.Diagnostics) {
	g, files, diags, h := loadWithHost(ctx, stdio, path, f, nil)
	if h != nil {
		h.Close()
	}
	return g, files, diags
}

// remoteMemo gives a command's plugin host its remote memo (and whether
// it is read-only) once the spec is read, before any plugin is described;
// nil when there is none.
type remoteMemo func(ctx context.Context, sp *spec.Spec) (host.RemoteMemo, bool, hcl.Diagnostics)

// loadWithHost is loadGraph that also returns the plugin host that planned
// and validated the spec (nil with the graph), for the caller to build
// with and close. memo, when set, opens the host's remote memo.
func loadWithHost(ctx context.Context, stdio *IO, path string, f *specFlags, memo remoteMemo) (*plan.Graph, map[string]*hcl.File, hcl.Diagnostics, *host.Host) {
	sp, diags := spec.Load(ctx, path, spec.Options{
		Vars: f.vars, VarFiles: f.varFiles, Env: os.Environ(), Version: Version,
	})
	if sp == nil {
		return nil, nil, diags, nil
	}
	o := hostOptions(stdio, sp.Dir)
	if memo != nil {
		var ds hcl.Diagnostics
		o.RemoteMemo, o.RemoteMemoReadOnly, ds = memo(ctx, sp)
		diags = append(diags, ds...)
	}
	h, err := newHost(o)
	var r plan.Resolver
	if err == nil {
		r, err = newResolver(ctx, h)
	}
	if err != nil {
		if h != nil {
			h.Close()
		}
		return nil, sp.Files, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: "Cannot load plugins", Detail: err.Error()}), nil
	}
	g, ds := plan.New(sp, r)
	ds = append(ds, g.PathWarnings(os.Stat)...)
	ds = append(ds, g.Validate(ctx, hostValidator{h: h, g: g})...)
	spec.SortDiags(ds)
	return g, sp.Files, append(diags, ds...), h
}

// writeDiags prints diagnostics to stdio.Err, each as
// "file:line:col: severity: summary", the source line with the range
// underlined, then the detail.
func writeDiags(stdio *IO, files map[string]*hcl.File, diags hcl.Diagnostics) {
	writeDiagList(stdio.Err, files, diags)
}
