package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

type ledgerFlags struct {
	dir    string
	asJSON bool
}

func (f *ledgerFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.dir, "dir", ".", "the spec `FOLDER` whose .ckpt/ledger.jsonl to read")
	cmd.PersistentFlags().BoolVar(&f.asJSON, "json", false, "print JSON")
}

func (f *ledgerFlags) read() ([]state.Entry, error) {
	return state.ReadLedger(state.For(f.dir).Ledger())
}

func newLedgerCmd(stdio *IO) *cobra.Command {
	f := &ledgerFlags{}
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "List the builds recorded in .ckpt/ledger.jsonl",
		Long: `Ledger lists the builds of a spec folder, one per line: number, time, spec,
status, steps run and cached. ledger show N prints one build; ledger diff A B
shows what changed between two builds (variables, cache keys, artifacts,
plugins). N may be "last".`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			entries, err := f.read()
			if err != nil {
				return err
			}
			if f.asJSON {
				return writeJSON(stdio.Out, entries)
			}
			writeLedgerList(stdio.Out, entries)
			return nil
		},
	}
	f.register(cmd)
	cmd.AddCommand(newLedgerShowCmd(stdio, f), newLedgerDiffCmd(stdio, f))
	return cmd
}

func newLedgerShowCmd(stdio *IO, f *ledgerFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show N",
		Short: "Print one build of the ledger",
		Args:  exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			entries, err := f.read()
			if err != nil {
				return err
			}
			e, err := pickEntry(entries, args[0])
			if err != nil {
				return err
			}
			if f.asJSON {
				return writeJSON(stdio.Out, e)
			}
			writeLedgerEntry(stdio.Out, e)
			return nil
		},
	}
}

// pickEntry returns entry number arg (1-based) or the last one for "last".
func pickEntry(entries []state.Entry, arg string) (*state.Entry, error) {
	if len(entries) == 0 {
		return nil, fmt.Errorf("the ledger is empty: no build yet")
	}
	if arg == "last" {
		return &entries[len(entries)-1], nil
	}
	n, err := strconv.Atoi(arg)
	if err != nil {
		return nil, usagef("build number %q: want a number or \"last\"", arg)
	}
	for i := range entries {
		if entries[i].N == n {
			return &entries[i], nil
		}
	}
	return nil, fmt.Errorf("no build #%d in the ledger (builds 1 to %d)", n, entries[len(entries)-1].N)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeLedgerList(w io.Writer, entries []state.Entry) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "N\tTIME\tSPEC\tSTATUS\tRAN\tCACHED")
	for _, e := range entries {
		ran, cached := 0, 0
		for _, s := range e.Steps {
			switch s.Status {
			case run.StatusCached:
				cached++
			case run.StatusOK, run.StatusFailed:
				ran++
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\n", e.N, e.Time.Format(time.RFC3339), specName(e.Spec), e.Status, ran, cached)
	}
	tw.Flush()
}

func specName(s state.SpecRef) string {
	if s.Path != "" {
		return s.Path
	}
	return s.Dir
}

func writeLedgerEntry(w io.Writer, e *state.Entry) {
	fmt.Fprintf(w, "build #%d  %s  %s\n", e.N, e.Time.Format(time.RFC3339), e.Status)
	fmt.Fprintf(w, "ckpt %s, spec %s (%s), %s\n", e.CkptVersion, specName(e.Spec), e.Spec.Digest, time.Duration(e.DurationMS)*time.Millisecond)
	for _, name := range sortedKeys(e.Variables) {
		fmt.Fprintf(w, "var %s = %s\n", name, e.Variables[name])
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATUS\tTIME\tPLUGIN\tCACHE KEY\tARTIFACT")
	for _, s := range e.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Address, s.Status, time.Duration(s.DurationMS)*time.Millisecond,
			s.Plugin.Name+"@"+s.Plugin.Version, shortDigest(s.CacheKey), shortDigest(s.Artifact))
	}
	tw.Flush()
	for _, s := range e.Steps {
		writeStepDetail(w, s)
	}
}

func writeStepDetail(w io.Writer, s state.LedgerStep) {
	if s.Error != "" {
		fmt.Fprintf(w, "%s: error: %s\n", s.Address, s.Error)
	}
	if len(s.BaseModels) > 0 {
		fmt.Fprintf(w, "%s: base models %v\n", s.Address, s.BaseModels)
	}
	if len(s.Training) > 0 {
		fmt.Fprintf(w, "%s: training %s\n", s.Address, s.Training)
	}
	if s.Pushed != nil {
		fmt.Fprintf(w, "%s: pushed %s@%s\n", s.Address, s.Pushed.Ref, s.Pushed.Digest)
	}
}
