package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/store"
)

func newStoreCmd(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Check the local store",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newStoreVerifyCmd(stdio))
	return cmd
}

func newStoreVerifyCmd(stdio *IO) *cobra.Command {
	var dir, storeFlag string
	var repair, asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Hash every blob of the local store and report the corrupt and the missing ones",
		Long: `Verify reads every blob of the local store (FOLDER/.ckpt/store) and checks
that its bytes hash to its name, whatever its verification stamp says, and
that every blob a name's manifest refers to is there. It lists each corrupt
or missing blob with the names (cache entries, step artifacts) that reach
it, and exits 1 when it finds any. --repair deletes the corrupt blobs and
exits 0: the next build rebuilds every step whose cache entry is damaged
(a build also rebuilds them without --repair, and its writes replace the
corrupt blobs). --repair refuses while a build uses the store (exit 1).`,
		Example: `  ckpt store verify
  ckpt store verify --repair --dir examples/quickstart`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return storeVerifyRun(cmd.Context(), stdio, storeDir(dir, storeFlag), repair, asJSON)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "the spec `FOLDER` whose .ckpt/store to check")
	cmd.Flags().StringVar(&storeFlag, "store", "", "local OCI store `DIR` (default: FOLDER/.ckpt/store)")
	cmd.Flags().BoolVar(&repair, "repair", false, "delete the corrupt blobs (the next build rebuilds what needs them)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func writeVerifyReport(w io.Writer, rep store.VerifyReport) {
	fmt.Fprintf(w, "store verify: %d blobs (%s) checked, %d damaged\n", rep.Blobs, humanBytes(rep.Bytes), len(rep.Problems))
	removed := 0
	for _, p := range rep.Problems {
		names := "no name reaches it"
		if len(p.Names) > 0 {
			names = "reached by " + strings.Join(p.Names, ", ")
		}
		if p.Path != "" {
			names = "refers to " + p.Path + ", changed or gone; " + names
		}
		fmt.Fprintf(w, "  %s %s (%s)\n", p.Problem, p.Digest, names)
		if p.Problem == "corrupt" {
			removed++
		}
	}
	if rep.Repaired && len(rep.Problems) > 0 {
		fmt.Fprintf(w, "removed %d corrupt blobs; the next build rebuilds the steps whose entries are named above\n", removed)
	}
}

// storeVerifyRun hashes every blob of the store at root and reports (with
// repair: drops) the damaged ones.
func storeVerifyRun(ctx context.Context, stdio *IO, root string, repair, asJSON bool) error {
	st, err := store.Open(ctx, root)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.VerifyAll(ctx, store.VerifyOptions{Repair: repair})
	if errors.Is(err, store.ErrInUse) {
		return exitCode(1, err)
	}
	if err != nil {
		return err
	}
	if asJSON {
		err = writeJSON(stdio.Out, rep)
	} else {
		writeVerifyReport(stdio.Out, rep)
	}
	if err == nil && len(rep.Problems) > 0 && !rep.Repaired {
		return exitCode(1, fmt.Errorf("store verify: %d damaged blobs (ckpt store verify --repair, then build)", len(rep.Problems)))
	}
	return err
}
