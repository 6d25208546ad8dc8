package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
)

func newPlanCmd(stdio *IO) *cobra.Command {
	var f specFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan [PATH]",
		Short: "Show the steps a build would run, in order, with their cache keys",
		Long: `Plan loads and validates the spec at PATH (default ".") and prints its steps
in the order a build runs them: kind, type, name, the steps each depends on
(gate edges marked: a check or eval that must pass before a bundle), and the
cache key. A pending step's config refers to outputs of steps that have not
run; its key covers the known part. Exit status: 0, 1 invalid spec, 2 usage.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := loadValid(cmd, stdio, args, &f)
			if err != nil {
				return err
			}
			if asJSON {
				return writePlanJSON(stdio.Out, g)
			}
			writePlan(stdio.Out, g)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	return cmd
}

// loadValid loads and plans the spec named by args; it prints the
// diagnostics and fails with exit code 1 when there are errors.
func loadValid(cmd *cobra.Command, stdio *IO, args []string, f *specFlags) (*plan.Graph, error) {
	path, err := specPath(args)
	if err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	g, files, diags := loadGraph(cmd.Context(), stdio, path, f)
	writeDiags(stdio, files, diags)
	if diags.HasErrors() || g == nil {
		errs, _ := countDiags(diags)
		return nil, exitCode(1, fmt.Errorf("the spec at %s has %d errors", path, errs))
	}
	return g, nil
}

func writePlan(w io.Writer, g *plan.Graph) {
	pending := 0
	width := 0
	for _, s := range g.Steps {
		width = max(width, len(s.Address))
	}
	for i, s := range g.Steps {
		fmt.Fprintf(w, "%2d. %-*s  %s %q\n", i+1, width, s.Address, s.Kind, s.Type)
		var needs, gates []string
		for _, e := range s.Inputs {
			if e.Gate {
				gates = append(gates, e.Step)
			} else {
				needs = append(needs, e.Step+" ("+e.Attr+")")
			}
		}
		if len(needs) > 0 {
			fmt.Fprintf(w, "      needs %s\n", strings.Join(needs, ", "))
		}
		if len(gates) > 0 {
			fmt.Fprintf(w, "      gate  %s\n", strings.Join(gates, ", "))
		}
		note := ""
		if s.Pending {
			pending++
			note = "  (pending: config known after upstream steps run)"
		}
		fmt.Fprintf(w, "      key   %s%s\n", s.Key, note)
	}
	fmt.Fprintf(w, "\n%d steps, %d pending. Spec %s\n", len(g.Steps), pending, g.Digest)
}

// planJSON is the --json form of a plan.
type planJSON struct {
	FormatVersion string          `json:"format_version"`
	Dir           string          `json:"dir"`
	Digest        string          `json:"digest"`
	Variables     []plan.Variable `json:"variables"`
	Steps         []*plan.Step    `json:"steps"`
}

func writePlanJSON(w io.Writer, g *plan.Graph) error {
	out := planJSON{FormatVersion: "1", Dir: g.Dir, Digest: g.Digest, Variables: redact(g.Variables), Steps: g.Steps}
	if out.Steps == nil {
		out.Steps = []*plan.Step{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// redact replaces the values of sensitive variables by null.
func redact(vs []plan.Variable) []plan.Variable {
	out := slices.Clone(vs)
	for i := range out {
		if out[i].Sensitive {
			out[i].Value = json.RawMessage("null")
		}
	}
	if out == nil {
		out = []plan.Variable{}
	}
	return out
}
