package cli

import (
	"os"
	"path"
	"strings"

	"github.com/spf13/cobra"

	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
)

func newUnpackCmd(stdio *IO) *cobra.Command {
	var tf transferFlags
	var include []string
	cmd := &cobra.Command{
		Use:   "unpack LAYOUT_OR_REF DIR",
		Short: "Write the files of a bundle (OCI layout folder or reference) into a folder",
		Long: `Unpack writes the model files of a bundle into DIR. LAYOUT_OR_REF is an
OCI layout folder (a bundle step's output, or a push "layout" target:
PATH, oci:PATH, oci:PATH:tag or oci:PATH@digest; without a tag the layout's
"latest", else "bundle", else its only tag) or a registry reference, as in
ckpt pull. The same checks as pull apply: digests verified, unsafe paths
and links refused.`,
		Example: `  ckpt unpack .ckpt/out/bundle.release ./release
  ckpt unpack oci:./published:v1 ./release`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := unpackRef(args[0])
			if err != nil {
				return usagef("%w", err)
			}
			return runPull(cmd, stdio, ref, args[1], include, tf)
		},
	}
	tf.register(cmd)
	cmd.Flags().StringArrayVar(&include, "include", nil, "unpack only files matching this glob (repeatable)")
	return cmd
}

// unpackRef reads an existing folder as a layout, anything else as a reference.
func unpackRef(arg string) (ckptremote.Ref, error) {
	if !strings.HasPrefix(arg, ckptremote.LayoutPrefix) {
		if st, err := os.Stat(arg); err == nil && st.IsDir() {
			return ckptremote.Ref{Dir: arg}, nil
		}
	}
	return ckptremote.ParseRef(arg)
}

// pathMatchCheck reports a malformed glob.
func pathMatchCheck(g string) (bool, error) { return path.Match(g, "") }
