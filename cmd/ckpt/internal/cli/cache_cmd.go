package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/cache"
)

func newCacheCmd(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "List and trim a remote cache (a registry repository)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCacheLsCmd(stdio), newCachePruneCmd(stdio))
	return cmd
}

// cacheCmdFlags are the flags of ckpt cache ls and prune.
type cacheCmdFlags struct {
	plainHTTP, asJSON bool
}

func (f *cacheCmdFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.plainHTTP, "plain-http", false, "talk plain HTTP to the registry (local registries)")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print JSON")
}

// open opens the remote cache REF for listing (no local store).
func (f *cacheCmdFlags) open(ctx context.Context, ref string) (*cache.Cache, error) {
	if _, err := cache.ParseRef(ref); err != nil {
		return nil, usagef("%w", err)
	}
	return openCache(ctx, ref, nil, f.plainHTTP)
}

func newCacheLsCmd(stdio *IO) *cobra.Command {
	var f cacheCmdFlags
	cmd := &cobra.Command{
		Use:   "ls REF",
		Short: "List the entries of a remote cache",
		Long: `Ls lists the entries of the remote cache REF (a registry repository, as
--cache takes): for each, the cache key, the step that made it, the plugin
(name, version, binary digest), the artifact manifest, the bytes of its
config and layers and when it was written, oldest first. Tags named cache-*
that hold no readable entry are listed after them. Then a summary of the
memo entries (memo-*: plugin descriptions and clean validations, which
spare a fresh runner every plugin start), by plugin binary; --json lists
them.`,
		Example: `  ckpt cache ls registry.example.com/team/ckpt-cache
  ckpt cache ls 127.0.0.1:5000/ci/cache --plain-http --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.open(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			entries, bad, err := c.List(cmd.Context())
			if err != nil {
				return err
			}
			memos, badMemos, err := c.Memos(cmd.Context())
			if err != nil {
				return err
			}
			bad = append(bad, badMemos...)
			if f.asJSON {
				return writeJSON(stdio.Out, struct {
					Entries []cache.Entry `json:"entries"`
					Memos   []cache.Memo  `json:"memos"`
					Broken  []string      `json:"broken,omitempty"`
				}{append([]cache.Entry{}, entries...), append([]cache.Memo{}, memos...), bad})
			}
			writeCacheList(stdio.Out, entries, bad)
			writeMemoSummary(stdio.Out, memos)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func writeCacheList(w io.Writer, entries []cache.Entry, bad []string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tSTEP\tPLUGIN\tARTIFACT\tSIZE\tCREATED")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s %s (%s)\t%s\t%s\t%s\n", shortHex(e.Key), e.Step, e.Plugin.Name, e.Plugin.Version,
			shortHex(e.Plugin.Digest), shortHex(e.Artifact.Digest.String()), humanBytes(e.Size), e.Created.UTC().Format(time.RFC3339))
	}
	tw.Flush()
	for _, t := range bad {
		fmt.Fprintf(w, "%s: not a readable cache entry\n", t)
	}
}

// writeMemoSummary prints one line per plugin binary: its memo entries
// by kind and their bytes.
func writeMemoSummary(w io.Writer, memos []cache.Memo) {
	var last cache.Memo
	kinds, size := map[string]int{}, int64(0)
	flush := func() {
		if len(kinds) > 0 {
			fmt.Fprintf(w, "memos of plugin %s (%s): %d describe, %d validate, %s\n", last.Plugin.Name, shortHex(last.Plugin.Digest), kinds["describe"], kinds["validate"], humanBytes(size))
		}
		kinds, size = map[string]int{}, 0
	}
	for _, m := range memos {
		if m.Plugin != last.Plugin {
			flush()
		}
		last = m
		kinds[m.Kind]++
		size += m.Size
	}
	flush()
}

// shortHex is the first 12 hex digits of a sha256:<hex> digest.
func shortHex(d string) string {
	h := strings.TrimPrefix(d, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func newCachePruneCmd(stdio *IO) *cobra.Command {
	var f cacheCmdFlags
	var olderThan string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "prune REF",
		Short: "Delete the entries of a remote cache older than a duration",
		Long: `Prune deletes the entries of the remote cache REF written more than
--older-than ago (all of them with --older-than 0): it deletes each entry's
index manifest by digest, which removes its tag. The artifact manifests and
blobs stay in the registry until its garbage collection reclaims what no
tag reaches (distribution: registry garbage-collect --delete-untagged
CONFIG; hosted registries run theirs on their own schedule): another entry
or a pushed bundle may share them. The memo entries (memo-*) of plugin
binaries that made none of the entries kept go too. --dry-run lists what would go. The
registry must allow deletes (distribution: storage.delete.enabled).`,
		Example: `  ckpt cache prune registry.example.com/team/ckpt-cache --older-than 30d
  ckpt cache prune 127.0.0.1:5000/ci/cache --plain-http --older-than 12h --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := parseAge(olderThan)
			if err != nil {
				return usagef("--older-than: %w", err)
			}
			c, err := f.open(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			rep, err := c.Prune(cmd.Context(), cache.PruneOptions{OlderThan: d, DryRun: dryRun})
			if err != nil {
				return err
			}
			if f.asJSON {
				return writeJSON(stdio.Out, rep)
			}
			writePruneReport(stdio.Out, rep)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&olderThan, "older-than", "", "delete entries written more than `AGE` ago: a Go duration (12h) or days (30d); 0 deletes all (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be deleted, delete nothing")
	_ = cmd.MarkFlagRequired("older-than")
	return cmd
}

// parseAge parses a Go duration or a number of days ("30d").
func parseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("%q: want a number of days such as 30d, or a Go duration such as 12h", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a Go duration such as 12h, or days such as 30d", s)
	}
	return d, nil
}

func writePruneReport(w io.Writer, rep cache.PruneReport) {
	verb := "deleted"
	if rep.DryRun {
		verb = "would delete"
	}
	for _, e := range rep.Deleted {
		fmt.Fprintf(w, "%s %s (%s, %s, %s)\n", verb, "cache-"+strings.TrimPrefix(e.Key, "sha256:"), e.Step, humanBytes(e.Size), e.Created.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "%s %d entries (%s), kept %d; %s %d memo entries, kept %d; the registry's garbage collection reclaims the blobs no tag reaches\n",
		verb, len(rep.Deleted), humanBytes(rep.Bytes), rep.Kept, verb, len(rep.DeletedMemos), rep.KeptMemos)
}
