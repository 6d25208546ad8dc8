package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
)

func newCopyCmd(stdio *IO) *cobra.Command {
	var tf transferFlags
	cmd := &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy a bundle between registries or layout folders, with its referrers",
		Long: `Copy copies the manifest SRC names to DST with everything that belongs
to it: its config and layers, the subject graph of an adapter bundle (its
base model), and every manifest that refers to it, recursively: license
report, provenance, signatures, ML-BOM and their own referrers. SRC and
DST are registry references host[:port]/repo[:tag|@digest] or OCI layout
folders oci:DIR[:tag|@digest]; DST gets SRC's tag unless it names one.

Blobs DST already has are skipped. Unlike skopeo or crane, which keep the
digest but drop referrers, the copy audits like the original.`,
		Example: `  ckpt copy registry.example.com/models/support:v1 mirror.example.com/models/support:v1
  ckpt copy oci:./out/bundle localhost:5000/models/support:v1 --plain-http`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return copyRun(cmd.Context(), stdio, &tf, args[0], args[1])
		},
	}
	tf.register(cmd)
	return cmd
}

// copyRun copies the bundle at from to to with its referrers.
func copyRun(ctx context.Context, stdio *IO, tf *transferFlags, from, to string) error {
	src, err := ckptremote.ParseRef(from)
	if err != nil {
		return usagef("%w", err)
	}
	dst, err := ckptremote.ParseRef(to)
	if err != nil {
		return usagef("%w", err)
	}
	opts, ui := tf.transfer(stdio, "copied")
	res, err := ckptremote.Copy(ctx, src, dst, ckptremote.PushOptions{Options: opts})
	ui.close()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdio.Out, res.Manifest.Digest)
	fmt.Fprintf(stdio.Err, "Copied %s to %s: %d manifests (the bundle, its subject graph and referrers), %d blobs, %d already there\n",
		src, dst, res.Manifests, res.Blobs, res.Skipped)
	return nil
}
