package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/store"
)

// gcOptions are the flags of ckpt gc.
type gcOptions struct {
	dir, store     string
	keepBuilds     int
	dryRun, asJSON bool
}

func newGCCmd(stdio *IO) *cobra.Command {
	var o gcOptions
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Free the local store of cached artifacts that recent builds did not use",
		Long: `Gc frees the local store (FOLDER/.ckpt/store, or --store) of what no longer
serves. It keeps every project's artifact of each step from the last build
in which that step succeeded (what ckpt export and ckpt push --bundle read)
and the cache entries used by the last --keep-builds builds of FOLDER's
ledger. A store may be shared (ckpt build --store): gc also keeps the cache
entries of the last build (or --keep-builds, when more) of every other
project recorded as a user of the store (its users/ folder), so that gc for
one project never makes another rebuild. It drops every other cache entry
and deletes the blobs that nothing kept reaches and the partial files of
killed writers. Names that ckpt did not write are kept. Gc refuses while a
build uses the store (exit 1), and a build started during gc waits for it.
--dry-run tells what gc would remove.`,
		Example: `  ckpt gc --dry-run
  ckpt gc --keep-builds 0 --dir examples/quickstart`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return gcRun(cmd.Context(), stdio, o) },
	}
	cmd.Flags().StringVar(&o.dir, "dir", ".", "the spec `FOLDER` whose ledger and .ckpt/store to use")
	cmd.Flags().StringVar(&o.store, "store", "", "local OCI store `DIR` (default: FOLDER/.ckpt/store)")
	cmd.Flags().IntVar(&o.keepBuilds, "keep-builds", 1, "keep the cache entries of FOLDER's last `N` builds")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "report what would be removed, remove nothing")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	return cmd
}

// gcRun prunes the store by the retention of the project's ledger and
// every other user's.
func gcRun(ctx context.Context, stdio *IO, o gcOptions) error {
	if o.keepBuilds < 0 {
		return usagef("gc: --keep-builds must be 0 or more, got %d", o.keepBuilds)
	}
	st, err := store.Open(ctx, storeDir(o.dir, o.store))
	if err != nil {
		return err
	}
	defer st.Close()
	keep := state.For(o.dir).Retention(st.Root(), o.keepBuilds)
	rep, err := st.Prune(ctx, keep.Keep, store.PruneOptions{DryRun: o.dryRun})
	if errors.Is(err, store.ErrInUse) {
		return exitCode(1, err)
	}
	if err = errors.Join(err, keep.Err()); err != nil {
		return err
	}
	if o.asJSON {
		return writeJSON(stdio.Out, rep)
	}
	writeGCReport(stdio.Out, rep)
	return nil
}

func writeGCReport(w io.Writer, rep store.PruneReport) {
	verb, removed := "dropped", "removed"
	if rep.DryRun {
		verb, removed = "would drop", "would remove"
	}
	fmt.Fprintf(w, "gc: %s %d cache entries, %s %d blobs and %d partial files (%s); kept %d names, %d blobs (%s)\n",
		verb, len(rep.Untagged), removed, rep.Removed, rep.Partial, humanBytes(rep.Freed),
		rep.Tags, rep.Kept, humanBytes(rep.KeptBytes))
}
