package cli

import (
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/internal/state"
)

func newLedgerDiffCmd(stdio *IO, f *ledgerFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "diff A B",
		Short: "Show what changed between two builds",
		Args:  exactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			entries, err := f.read()
			if err != nil {
				return err
			}
			a, err := pickEntry(entries, args[0])
			if err != nil {
				return err
			}
			b, err := pickEntry(entries, args[1])
			if err != nil {
				return err
			}
			d := diffEntries(a, b)
			if f.asJSON {
				return writeJSON(stdio.Out, d)
			}
			writeDiff(stdio.Out, d)
			return nil
		},
	}
}

// ledgerDiff is what changed from build A to build B.
type ledgerDiff struct {
	A       int      `json:"a"`
	B       int      `json:"b"`
	Changes []change `json:"changes"`
}

// change is one difference: what (spec, ckpt, var NAME, STEP field) and
// its value in A and in B ("" when absent).
type change struct {
	What string `json:"what"`
	A    string `json:"a"`
	B    string `json:"b"`
}

func diffEntries(a, b *state.Entry) ledgerDiff {
	d := ledgerDiff{A: a.N, B: b.N}
	add := func(what, x, y string) {
		if x != y {
			d.Changes = append(d.Changes, change{What: what, A: x, B: y})
		}
	}
	add("spec digest", a.Spec.Digest, b.Spec.Digest)
	add("ckpt version", a.CkptVersion, b.CkptVersion)
	add("status", a.Status, b.Status)
	for _, name := range unionKeys(a.Variables, b.Variables) {
		add("var "+name, string(a.Variables[name]), string(b.Variables[name]))
	}
	as, bs := stepsByAddr(a), stepsByAddr(b)
	for _, addr := range unionKeys(as, bs) {
		x, okx := as[addr]
		y, oky := bs[addr]
		if !okx || !oky {
			add(addr, presence(okx), presence(oky))
			continue
		}
		add(addr+" plugin", pluginString(x), pluginString(y))
		add(addr+" cache key", x.CacheKey, y.CacheKey)
		add(addr+" artifact", x.Artifact, y.Artifact)
		add(addr+" status", x.Status, y.Status)
	}
	return d
}

func presence(ok bool) string {
	if ok {
		return "present"
	}
	return "absent"
}

func pluginString(s state.LedgerStep) string {
	return fmt.Sprintf("%s@%s (%s)", s.Plugin.Name, s.Plugin.Version, s.Plugin.Digest)
}

func stepsByAddr(e *state.Entry) map[string]state.LedgerStep {
	m := map[string]state.LedgerStep{}
	for _, s := range e.Steps {
		m[s.Address] = s
	}
	return m
}

func unionKeys[V any](a, b map[string]V) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func writeDiff(w io.Writer, d ledgerDiff) {
	if len(d.Changes) == 0 {
		fmt.Fprintf(w, "builds #%d and #%d are the same\n", d.A, d.B)
		return
	}
	fmt.Fprintf(w, "changes from build #%d to #%d:\n", d.A, d.B)
	for _, c := range d.Changes {
		fmt.Fprintf(w, "  %s: %s -> %s\n", c.What, orNone(c.A), orNone(c.B))
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
