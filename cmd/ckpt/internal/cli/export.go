package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/store"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// exportOptions are the flags and arguments of ckpt export.
type exportOptions struct {
	dir, store   string
	verify, link bool
	step, out    string
	cache        cacheFlags
	plainHTTP    bool
}

func newExportCmd(stdio *IO) *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export KIND.NAME DIR",
		Short: "Write the files of a step's artifact from the last build into a folder",
		Long: `Export writes the files of the artifact that step KIND.NAME produced in the
last build of the spec folder where it succeeded (the digest its ledger
recorded, whichever other projects share the store) into DIR, so that a
merged model can be served or inspected without a registry. The files are
the user's own: reflinks (copy-on-write clones) of the store's blobs where
the file system has them (btrfs, XFS), copies otherwise; editing them never
changes the store. --link makes hard links to the blobs instead: instant
and no extra space, but the exported files are the store's blobs, read-only
by mode only, and a write to one (as root, or after chmod) changes the
store's blob and every artifact that shares it. Existing files in DIR are
never overwritten. Files are checked against their digests; a blob
unchanged (same inode, size and mtime) since the store wrote or last
verified it is not read again, unless --verify. Files of a remote cache
hit that no step needed yet are fetched from the remote cache first
(--cache, CKPT_CACHE or the spec's), verified.`,
		Example: `  ckpt export merge.support ./merged
  ckpt export --dir examples/quickstart bundle.release /tmp/bundle`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("export: want KIND.NAME DIR, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.step, o.out = args[0], args[1]
			return exportRun(cmd.Context(), stdio, o)
		},
	}
	cmd.Flags().StringVar(&o.dir, "dir", ".", "the spec `FOLDER` whose ledger names the build")
	cmd.Flags().StringVar(&o.store, "store", "", "local OCI store `DIR` (default: FOLDER/.ckpt/store)")
	cmd.Flags().BoolVar(&o.verify, "verify", false, "hash every file against its digest, even one the store verified before")
	cmd.Flags().BoolVar(&o.link, "link", false,
		"hard-link the store's blobs instead of copying: a write to an exported file changes the store's blob and every artifact that shares it")
	o.cache.register(cmd)
	cmd.Flags().BoolVar(&o.plainHTTP, "plain-http", false, "talk plain HTTP to the remote cache's registry (local registries)")
	return cmd
}

// exportRun writes the files of the step's last built artifact into o.out.
func exportRun(ctx context.Context, stdio *IO, o exportOptions) error {
	st, err := store.Open(ctx, storeDir(o.dir, o.store))
	if err != nil {
		return err
	}
	defer st.Close()
	desc, err := lastBuilt(ctx, st, o.dir, o.step)
	if err != nil {
		return fmt.Errorf("export %s: %w", o.step, err)
	}
	if err := fetchRemote(ctx, stdio, st, desc, o.dir, o.cache, o.plainHTTP); err != nil {
		return fmt.Errorf("export %s: %w", o.step, err)
	}
	if o.verify {
		if err := verifyArtifact(ctx, st, desc); err != nil {
			return fmt.Errorf("export %s: %w", o.step, err)
		}
	}
	rep, err := st.Export(ctx, desc, o.out, store.ExportOptions{Link: o.link})
	if err != nil {
		return fmt.Errorf("export %s to %s: %w", o.step, o.out, err)
	}
	fmt.Fprintf(stdio.Out, "exported %s (%s) to %s: %s\n", o.step, desc.Digest, o.out, exportSummary(rep))
	return nil
}

// lastBuilt resolves the artifact of step addr from the last build of the
// spec folder dir in which it succeeded, by the digest dir's ledger
// recorded: the project's own, whoever else builds into the store.
func lastBuilt(ctx context.Context, st *store.Store, dir, addr string) (ocispec.Descriptor, error) {
	dg, err := ledgerDigest(dir, addr)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := st.Resolve(ctx, dg)
	if errors.Is(err, errdef.ErrNotFound) {
		return desc, fmt.Errorf("the last build's artifact %s is not in %s (built into another --store? gc'd?): %w", dg, st.Root(), err)
	}
	return desc, err
}

// exportSummary says how many files export wrote, and how.
func exportSummary(rep store.ExportReport) string {
	var how []string
	for _, c := range []struct {
		n    int
		verb string
	}{{rep.Cloned, "reflinked"}, {rep.Copied, "copied"}, {rep.Linked, "hard-linked"}} {
		if c.n > 0 {
			how = append(how, fmt.Sprintf("%d %s", c.n, c.verb))
		}
	}
	if len(how) == 0 {
		return "0 files"
	}
	return fmt.Sprintf("%d files (%s)", rep.Files, strings.Join(how, ", "))
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

// ledgerDigest is the artifact digest of step addr's last successful build
// in the spec folder dir's ledger.
func ledgerDigest(dir, addr string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	ledger := state.For(abs).Ledger()
	entries, err := state.ReadLedger(ledger)
	if err != nil {
		return "", err
	}
	dg := run.LastSucceeded(entries, abs, addr)
	if dg == "" {
		return "", fmt.Errorf("no build of this step in %s (run ckpt build first): %w", ledger, errdef.ErrNotFound)
	}
	return dg, nil
}
