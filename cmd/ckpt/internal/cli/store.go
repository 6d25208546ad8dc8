package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
	var cache remoteFlags
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
corrupt blobs). --repair refuses while a build uses the store (exit 1).

A build with a remote cache keeps only the manifests and configs of the
artifacts it takes from there: with --cache REF (or $CKPT_CACHE), a blob
missing here that the cache holds is listed as "remote", not damaged.`,
		Example: `  ckpt store verify
  ckpt store verify --repair --dir examples/quickstart
  ckpt store verify --cache localhost:5000/team/ckpt-cache --plain-http`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return storeVerifyRun(cmd.Context(), stdio, storeDir(dir, storeFlag), repair, asJSON, cache)
		},
	}
	cmd.Flags().StringVar(&cache.ref, "cache", "", "remote cache `REF` whose blobs count as present (default: $"+EnvCache+")")
	cmd.Flags().BoolVar(&cache.plainHTTP, "plain-http", false, "talk plain HTTP to the remote cache's registry")
	cmd.Flags().StringVar(&dir, "dir", ".", "the spec `FOLDER` whose .ckpt/store to check")
	cmd.Flags().StringVar(&storeFlag, "store", "", "local OCI store `DIR` (default: FOLDER/.ckpt/store)")
	cmd.Flags().BoolVar(&repair, "repair", false, "delete the corrupt blobs (the next build rebuilds what needs them)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func writeVerifyReport(w io.Writer, rep store.VerifyReport) {
	fmt.Fprintf(w, "store verify: %d blobs (%s) checked, %d damaged\n", rep.Blobs, humanBytes(rep.Bytes), damaged(rep))
	removed := 0
	for _, p := range rep.Problems {
		names := "no name reaches it"
		if len(p.Names) > 0 {
			names = "reached by " + strings.Join(p.Names, ", ")
		}
		if p.Path != "" {
			names = "refers to " + p.Path + ", changed or gone; " + names
		}
		if p.Problem == problemRemote {
			names = "in the remote cache, fetched when a step needs it; " + names
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
func storeVerifyRun(ctx context.Context, stdio *IO, root string, repair, asJSON bool, rf remoteFlags) error {
	st, err := store.Open(ctx, root)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.VerifyAll(ctx, store.VerifyOptions{Repair: repair})
	if errors.Is(err, store.ErrInUse) {
		return exitCode(1, err)
	}
	if err == nil {
		err = markRemote(ctx, &rep, rf)
	}
	if err != nil {
		return err
	}
	if asJSON {
		err = writeJSON(stdio.Out, rep)
	} else {
		writeVerifyReport(stdio.Out, rep)
	}
	if n := damaged(rep); err == nil && n > 0 && !rep.Repaired {
		return exitCode(1, fmt.Errorf("store verify: %d damaged blobs (ckpt store verify --repair, then build)", n))
	}
	return err
}

// remoteFlags name a remote cache outside a spec.
type remoteFlags struct {
	ref       string
	plainHTTP bool
}

// problemRemote is a missing blob that the remote cache holds.
const problemRemote = "remote"

// markRemote relabels the missing blobs of rep that the remote cache (if
// rf or $CKPT_CACHE names one) holds.
func markRemote(ctx context.Context, rep *store.VerifyReport, rf remoteFlags) error {
	ref := rf.ref
	if ref == "" {
		ref = os.Getenv(EnvCache)
	}
	if ref == "" {
		return nil
	}
	c, err := openCache(ctx, ref, nil, rf.plainHTTP)
	if err != nil {
		return err
	}
	for i, p := range rep.Problems {
		if p.Problem != "missing" {
			continue
		}
		ok, err := c.Holds(ctx, p.Digest)
		if err != nil {
			return err
		}
		if ok {
			rep.Problems[i].Problem = problemRemote
		}
	}
	return nil
}

// damaged counts the problems that are not blobs of the remote cache.
func damaged(rep store.VerifyReport) int {
	n := 0
	for _, p := range rep.Problems {
		if p.Problem != problemRemote {
			n++
		}
	}
	return n
}
