package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/store"
)

func newExportCmd(stdio *IO) *cobra.Command {
	var dir, storeFlag string
	var verify bool
	cmd := &cobra.Command{
		Use:   "export KIND.NAME DIR",
		Short: "Write the files of a step's artifact from the last build into a folder",
		Long: `Export writes the files of the artifact that step KIND.NAME produced in the
last build where it succeeded into DIR, as hard links to the store's blobs
where the file system allows (read-only files: copy them before editing),
so that a merged model can be served or inspected without a registry.
Existing files in DIR are never overwritten. Files are checked against
their digests; a blob unchanged (same inode, size and mtime) since the store
wrote or last verified it is not read again, unless --verify.`,
		Example: `  ckpt export merge.support ./merged
  ckpt export --dir examples/quickstart bundle.release /tmp/bundle`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("export: want KIND.NAME DIR, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := store.Open(ctx, storeDir(dir, storeFlag))
			if err != nil {
				return err
			}
			defer st.Close()
			desc, err := st.Resolve(ctx, state.StepTag(args[0]))
			if errors.Is(err, errdef.ErrNotFound) {
				return fmt.Errorf("export %s: no build of this step in %s (run ckpt build first): %w", args[0], st.Root(), err)
			}
			if err != nil {
				return err
			}
			if verify {
				if err := verifyArtifact(ctx, st, desc); err != nil {
					return fmt.Errorf("export %s: %w", args[0], err)
				}
			}
			if err := st.Materialize(ctx, desc, args[1]); err != nil {
				return fmt.Errorf("export %s to %s: %w", args[0], args[1], err)
			}
			n, _ := countFiles(args[1])
			fmt.Fprintf(stdio.Out, "exported %s (%s) to %s: %d files\n", args[0], desc.Digest, args[1], n)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "the spec `FOLDER` whose .ckpt/store holds the build")
	cmd.Flags().StringVar(&storeFlag, "store", "", "local OCI store `DIR` (default: FOLDER/.ckpt/store)")
	cmd.Flags().BoolVar(&verify, "verify", false, "hash every file against its digest, even one the store verified before")
	return cmd
}

// verifyArtifact hashes every blob of the artifact desc, whatever the
// store's verification stamps say.
func verifyArtifact(ctx context.Context, st *store.Store, desc ocispec.Descriptor) error {
	m, err := st.Manifest(ctx, desc)
	if err != nil {
		return err
	}
	for _, l := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if err := st.Verify(ctx, l); err != nil {
			name := l.Annotations[ocispec.AnnotationTitle]
			if name == "" {
				name = "metadata"
			}
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func countFiles(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	return n, err
}
