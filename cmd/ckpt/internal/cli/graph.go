package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
)

func newGraphCmd(stdio *IO) *cobra.Command {
	var f specFlags
	cmd := &cobra.Command{
		Use:   "graph [PATH]",
		Short: "Print the spec's step graph in DOT (Graphviz)",
		Long: `Graph prints the DAG of the spec at PATH (default ".") in DOT: one node per
step, an edge from each step to the steps that use it, labelled with the
attribute, and dashed edges for gates (a check or eval that must pass before
a bundle). Render it with: ckpt graph | dot -Tsvg > graph.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := loadValid(cmd, stdio, args, &f)
			if err != nil {
				return err
			}
			writeDOT(stdio.Out, g)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

// writeDOT writes the graph with edges in data-flow direction, upstream to
// downstream; several references between two steps share one edge.
func writeDOT(w io.Writer, g *plan.Graph) {
	fmt.Fprintln(w, "digraph ckpt {")
	fmt.Fprintln(w, "  rankdir = \"LR\";")
	fmt.Fprintln(w, "  node [shape = \"box\", fontname = \"Helvetica\"];")
	for _, s := range g.Steps {
		label := fmt.Sprintf("%s\n%s %q", s.Address, s.Kind, s.Type)
		style := ""
		if s.Pending {
			style = ", style = \"dashed\""
		}
		fmt.Fprintf(w, "  %s [label = %s%s];\n", dotQuote(s.Address), dotQuote(label), style)
	}
	for _, s := range g.Steps {
		var order []string
		attrs := map[string][]string{}
		gate := map[string]bool{}
		for _, e := range s.Inputs {
			if _, ok := attrs[e.Step]; !ok {
				order = append(order, e.Step)
			}
			attrs[e.Step] = append(attrs[e.Step], e.Attr)
			gate[e.Step] = gate[e.Step] || e.Gate
		}
		for _, up := range order {
			style := ""
			if gate[up] {
				style = ", style = \"dashed\""
			}
			fmt.Fprintf(w, "  %s -> %s [label = %s%s];\n", dotQuote(up), dotQuote(s.Address),
				dotQuote(strings.Join(attrs[up], ", ")), style)
		}
	}
	fmt.Fprintln(w, "}")
}

// dotQuote quotes s as a DOT string; a newline becomes DOT's \n.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
