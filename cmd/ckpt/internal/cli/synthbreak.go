package cli

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/synth/breaks"
)

// newSynthBreakCmd is `ckpt synth break`: mutate a synthesized model so
// that one runtime rule fires.
func newSynthBreakCmd(stdio *IO) *cobra.Command {
	var rule string
	var list bool
	cmd := &cobra.Command{
		Use:   "break DIR --rule CODE | --list",
		Short: "Break a synthesized model so that one runtime-check rule fires (ckpt check shows it)",
		Long: `break mutates a model folder made by "ckpt synth model" in place so that exactly the
rule CODE fires in "ckpt check", and prints the command that shows it. Rules about
the other layout say which layout to synthesize; vision rules first give the model a
small vision encoder. --list prints every rule with its severity.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				return listRules(stdio)
			}
			if len(args) != 1 || rule == "" {
				return usagef("synth break requires DIR and --rule CODE (or --list)")
			}
			opts, err := breaks.Apply(cmd.Context(), args[0], compat.Code(rule))
			if err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "broke %s: rule %s now fires\nsee it with: %s\n", args[0], rule, checkCommand(args[0], opts))
			return nil
		},
	}
	cmd.Flags().StringVar(&rule, "rule", "", "rule code to make fire, e.g. eos.mismatch")
	cmd.Flags().BoolVar(&list, "list", false, "list the rules")
	return cmd
}

func listRules(stdio *IO) error {
	breakable := breaks.Codes()
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tSEVERITY\tSUMMARY")
	for _, r := range compat.Rules() {
		if slices.Contains(breakable, r.Code) {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Code, r.Severity, r.Summary)
		}
	}
	return tw.Flush()
}

// checkCommand is the ckpt check command line that shows a broken rule.
func checkCommand(dir string, opts compat.Options) string {
	args := []string{"ckpt", "check", dir}
	for _, p := range opts.Profiles {
		args = append(args, "--runtime", p)
	}
	for _, t := range opts.TrainingTemplates {
		args = append(args, "--adapter", strings.TrimSuffix(dir, "/")+"/"+strings.TrimSuffix(t.Source, "/chat_template.jinja"))
	}
	return strings.Join(args, " ")
}
