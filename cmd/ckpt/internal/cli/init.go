package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
	"github.com/ckpt-dev/ckpt/plugins/host"
)

// initOptions are the flags of ckpt init.
type initOptions struct {
	plainHTTP bool
	upgrade   bool
	push      []string
	platforms []string
}

func newInitCmd(stdio *IO) *cobra.Command {
	var o initOptions
	var f specFlags
	cmd := &cobra.Command{
		Use:   "init [PATH] | init --push-plugin BINARY REF",
		Short: "Install the spec's required plugins and pin them in .ckpt.lock.hcl",
		Long: `Init reads the ckpt { required_plugins { ... } } block of the spec at PATH
(default: the current folder), installs every plugin into the spec folder's
.ckpt/plugins as ckpt-plugin-NAME and writes .ckpt.lock.hcl with each
plugin's source, version, registry manifest digest and sha256 per
platform. A source is a local binary
("./bin/ckpt-plugin-x", "/abs/path", "file://...") or an OCI reference
("registry.example.com/ckpt-plugins/x", tagged with the version). Every
later run refuses a binary whose sha256 differs from the lock.

A plugin that is already locked with the same source and version but now
has another digest (or whose tag now names another manifest) is refused
before it runs, and the installed binary is kept, unless --upgrade is given.

--platform OS/ARCH (repeatable) also pins the binary of another platform
from a registry plugin's manifest, without downloading or running it, so
that a team on several platforms shares one lock.

With --push-plugin BINARY REF, init instead pushes plugin binaries to REF
(which needs a tag) as one OCI artifact that init can install; repeat
--push-plugin for one binary per platform (read from each binary's header).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(o.push) > 0 {
				return pushPlugin(cmd, stdio, o, args)
			}
			path, err := specPath(args)
			if err != nil {
				return err
			}
			if err := f.check(); err != nil {
				return err
			}
			return runInit(cmd, stdio, path, &f, o)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&o.plainHTTP, "plain-http", false, "talk to registries over plain HTTP")
	cmd.Flags().BoolVar(&o.upgrade, "upgrade", false, "accept new digests for already locked plugins")
	cmd.Flags().StringArrayVar(&o.push, "push-plugin", nil, "push the plugin `BINARY` (repeatable: one per platform) to the REF argument instead of installing")
	cmd.Flags().StringArrayVar(&o.platforms, "platform", nil, "also pin the registry binary for `OS/ARCH` (repeatable)")
	return cmd
}

func runInit(cmd *cobra.Command, stdio *IO, path string, f *specFlags, o initOptions) error {
	sp, diags := spec.Load(cmd.Context(), path, spec.Options{Vars: f.vars, VarFiles: f.varFiles, Env: os.Environ(), Version: Version})
	if diags.HasErrors() || sp == nil {
		files := map[string]*hcl.File{}
		if sp != nil {
			files = sp.Files
		}
		writeDiags(stdio, files, diags)
		return exitCode(1, nil)
	}
	reqs := make([]host.Requirement, 0, len(sp.Required.Plugins))
	for _, p := range sp.Required.Plugins {
		reqs = append(reqs, host.Requirement{Name: p.Name, Source: p.Source, Version: p.Version})
	}
	if _, err := host.Init(cmd.Context(), sp.Dir, reqs, host.InitOptions{PlainHTTP: o.plainHTTP, Upgrade: o.upgrade, Platforms: o.platforms, Log: stdio.Out}); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "Wrote %s (%d plugins pinned).\n", filepath.Join(sp.Dir, host.LockFile), len(reqs))
	return nil
}

func pushPlugin(cmd *cobra.Command, stdio *IO, o initOptions, args []string) error {
	if len(args) != 1 {
		return usagef("--push-plugin BINARY needs exactly one REF argument, got %d", len(args))
	}
	desc, err := host.PushPlugin(cmd.Context(), o.push, args[0], host.PushOptions{PlainHTTP: o.plainHTTP})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "Pushed plugin %s to %s@%s\n", strings.Join(o.push, ", "), args[0], desc.Digest)
	return nil
}
