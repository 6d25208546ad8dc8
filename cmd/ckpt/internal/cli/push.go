package cli

import (
	"fmt"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/plugins/bundle"
	"github.com/spf13/cobra"
)

// pushOptions are the flags of ckpt push.
type pushOptions struct {
	build           buildOptions
	transfer        transferFlags
	bundleDir       string
	allowUnlicensed bool
}

func newPushCmd(stdio *IO) *cobra.Command {
	o := &pushOptions{}
	cmd := &cobra.Command{
		Use:   "push [PATH] | push --bundle DIR REF",
		Short: "Build a spec including its push steps, or push a built bundle",
		Long: `Push builds the spec at PATH (default: the current folder) like ckpt build,
and also runs its push steps: each bundle goes to its registry or layout
with its blobs (those the target already has are skipped) and its
referrers (license report, provenance). --plain-http applies to every push
step of the spec.

With --bundle DIR REF, push copies an already built bundle (an OCI layout
folder, as a bundle step writes) to REF: a registry reference
host[:port]/repo[:tag|@digest] or oci:DIR[:tag]. A bundle without license
information is refused unless --allow-unlicensed. Credentials come from the
Docker config and its credential helpers.`,
		Example: `  ckpt push ./release --plain-http
  ckpt push --bundle .ckpt/out/bundle.release localhost:5000/models/support:v1 --plain-http`,
		RunE: func(cmd *cobra.Command, args []string) error { return pushRun(cmd, stdio, o, args) },
	}
	o.build.register(cmd)
	o.transfer.register(cmd)
	cmd.Flags().StringVar(&o.bundleDir, "bundle", "", "push this bundle `DIR` (OCI layout) to REF instead of building a spec")
	cmd.Flags().BoolVar(&o.allowUnlicensed, "allow-unlicensed", false, "with --bundle: push even without license information")
	return cmd
}

// pushRun pushes a built bundle (--bundle) or builds a spec with its push steps.
func pushRun(cmd *cobra.Command, stdio *IO, o *pushOptions, args []string) error {
	if o.bundleDir != "" {
		if len(args) != 1 {
			return usagef("push --bundle DIR REF: want one REF, got %d arguments", len(args))
		}
		ref, err := ckptremote.ParseRef(args[0])
		if err != nil {
			return usagef("%w", err)
		}
		return pushBundleDir(cmd, stdio, o, ref)
	}
	path, err := specPath(args)
	if err != nil {
		return err
	}
	o.build.Path, o.build.Push, o.build.PlainHTTP = path, true, o.transfer.plainHTTP
	return runBuild(cmd.Context(), stdio, &o.build)
}

// pushBundleDir copies a bundle layout's model manifest and referrers to ref.
func pushBundleDir(cmd *cobra.Command, stdio *IO, o *pushOptions, ref ckptremote.Ref) error {
	ctx := cmd.Context()
	dir := o.bundleDir
	rep, err := ckptremote.Inspect(ctx, ckptremote.Ref{Dir: dir, Reference: bundle.Tag}, ckptremote.Options{})
	if err != nil {
		return fmt.Errorf("bundle %s: %w", dir, err)
	}
	if !o.allowUnlicensed {
		if err := lic.RequireLicense(rep.Metadata(), "--allow-unlicensed"); err != nil {
			return fmt.Errorf("bundle %s (%s): %w", dir, rep.Digest, err)
		}
	}
	opts, ui := o.transfer.transfer(stdio, "sent")
	d, err := ckptremote.Push(ctx, dir, bundle.Tag, ref, ckptremote.PushOptions{Options: opts})
	ui.close()
	if err != nil && ctx.Err() != nil {
		return exitCode(130, fmt.Errorf("push interrupted: bundle %s is not at %s (%w)", dir, ref, err))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "%s@%s\n", ref, d.Digest)
	return nil
}
