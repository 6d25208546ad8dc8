package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// checkOptions are the flags of ckpt check.
type checkOptions struct {
	Runtimes []string
	IDs      []string
	Adapters []string
	// TemplateReference replaces the canonical format in template.canonical.
	TemplateReference string
	JSON              bool
}

func newCheckCmd(stdio *IO) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check DIR",
		Short: "Check that runtimes (vLLM mistral mode, mistral-inference, transformers) can load and serve a model folder",
		Long: `check applies runtime compatibility rules to a model folder and prints every finding:
files each runtime needs, params.json and config.json against the tensors, every
tekken.json rule of mistral-common, vocabulary sizes, EOS/BOS/PAD agreement across
generation_config.json, config.json, tokenizer_config.json and the tokenizer, chat
templates (they agree, render, match an adapter's training template and render the
canonical chat format of the tokenizer version, as mistral-common does), vision
files and model ids. Without --runtime it applies every runtime the folder's layout
claims. It exits 1 when any finding is an error. "ckpt synth break --list" lists
the rules.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("check requires exactly 1 DIR")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runCheck(cmd, stdio, o, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Runtimes, "runtime", nil, "runtime profile to apply, repeatable: "+strings.Join(compat.ProfileNames(), ", "))
	fl.StringArrayVar(&o.IDs, "id", nil, "model id to check (pinned, not retired), repeatable")
	fl.StringArrayVar(&o.Adapters, "adapter", nil, "adapter folder whose chat_template.jinja (training template) the model's template must match, repeatable")
	fl.StringVar(&o.TemplateReference, "template-reference", "", "chat template `FILE` (.jinja or tokenizer_config.json) the model's templates must render instead of its tokenizer version's canonical format")
	fl.BoolVar(&o.JSON, "json", false, "print the findings as JSON")
	return cmd
}

// checkReport is the JSON output of ckpt check.
type checkReport struct {
	Dir      string           `json:"dir"`
	Runtimes []string         `json:"runtimes"`
	Errors   int              `json:"errors"`
	Warnings int              `json:"warnings"`
	Findings []specv1.Finding `json:"findings"`
}

func runCheck(cmd *cobra.Command, stdio *IO, o checkOptions, dir string) error {
	opts, err := o.compatOptions()
	if err != nil {
		return err
	}
	rep, err := checkFolder(cmd.Context(), dir, opts)
	if err != nil {
		return err
	}
	if err := printCheck(stdio.Out, rep, o.JSON); err != nil {
		return err
	}
	if rep.Errors > 0 {
		return exitCode(1, nil)
	}
	return nil
}

// compatOptions turns the flags into check options (usage errors for bad
// flags).
func (o checkOptions) compatOptions() (compat.Options, error) {
	for _, r := range o.Runtimes {
		if !slices.Contains(compat.ProfileNames(), r) {
			return compat.Options{}, usagef("--runtime %q: known runtimes are %s", r, strings.Join(compat.ProfileNames(), ", "))
		}
	}
	opts := compat.Options{Profiles: o.Runtimes, IDs: o.IDs}
	for _, a := range o.Adapters {
		t, err := compat.ReadTrainingTemplate(a)
		if err != nil {
			return compat.Options{}, usagef("--adapter: %v", err)
		}
		opts.TrainingTemplates = append(opts.TrainingTemplates, t)
	}
	if o.TemplateReference != "" {
		src, _, err := chatfmt.LoadTemplate(o.TemplateReference)
		if err != nil {
			return compat.Options{}, usagef("--template-reference: %v", err)
		}
		opts.TemplateReference = src
	}
	return opts, nil
}

// checkFolder checks dir and counts its findings; the runtimes are the
// requested ones, else those the folder claims.
func checkFolder(ctx context.Context, dir string, opts compat.Options) (checkReport, error) {
	rep := checkReport{Dir: dir, Runtimes: opts.Profiles, Findings: []specv1.Finding{}}
	if len(rep.Runtimes) == 0 {
		claims, err := compat.Claims(dir)
		if err != nil {
			return rep, err
		}
		rep.Runtimes = append([]string{}, claims...)
	}
	findings, err := compat.Check(ctx, dir, opts)
	if err != nil {
		return rep, err
	}
	rep.Findings = append(rep.Findings, findings...)
	for _, f := range findings {
		if f.Severity == specv1.SeverityError {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	return rep, nil
}

func printCheck(w io.Writer, rep checkReport, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	runtimes := strings.Join(rep.Runtimes, ", ")
	if runtimes == "" {
		runtimes = "no runtime"
	}
	if len(rep.Findings) == 0 {
		_, err := fmt.Fprintf(w, "%s: no findings (%s)\n", rep.Dir, runtimes)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tCODE\tFILE\tPATH\tMESSAGE")
	for _, f := range rep.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Severity, f.Code, dash(f.File), dash(f.Path), oneLine(f.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %s, %s (%s)\n", rep.Dir, countOf(rep.Errors, "error"), countOf(rep.Warnings, "warning"), runtimes)
	return err
}

func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
