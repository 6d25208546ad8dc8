package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/runner"
)

func newEvalCmd(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Run a model on eval prompts outside a build, and turn hard cases into training data",
	}
	cmd.AddCommand(newEvalRunCmd(stdio), newEvalHardCasesCmd(stdio), newEvalStampCmd(stdio))
	return cmd
}

// evalRunOptions are the flags of ckpt eval run.
type evalRunOptions struct {
	Prompts, Schema, Out, Template, Baseline, Command string
	MinValid                                          float64
	Runner                                            runner.Config
	JSON                                              bool
	Transfer                                          transferFlags
}

func newEvalRunCmd(stdio *IO) *cobra.Command {
	var o evalRunOptions
	cmd := &cobra.Command{
		Use:   "run DIR_OR_GGUF_OR_REF --prompts FILE --runner ollama|openai",
		Short: "Have a model folder, a GGUF file or a pushed bundle answer prompts and gate the answers like eval \"json\"",
		Long: `eval run renders every prompt (chat messages, optional expected answer
and tags, one JSON object per line) with the model's own chat template,
sends it raw to the runner, and writes predictions.jsonl (each row with the
model's digest, the runner and its settings), eval-report.json and
hard-cases.jsonl into --out. The ollama runner starts its own Ollama server
on a GGUF file; the openai runner calls --endpoint or starts --command
({dir} is the model, {port} a free port). It exits 1 when the gate fails.

The model may also be a bundle reference, host[:port]/repo[:tag|@digest]
or oci:DIR[:tag|@digest]: ckpt pulls it, every blob verified, into a
temporary folder (removed afterwards), runs its one GGUF file (ollama; or
--file) or its folder (openai), and every prediction carries the bundle's
manifest digest.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEvalRun(cmd, stdio, &o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Prompts, "prompts", "", "prompts JSONL (required)")
	f.StringVar(&o.Runner.Kind, "runner", "", "ollama or openai (required)")
	f.StringVar(&o.Runner.Endpoint, "endpoint", "", "openai: base URL of the server")
	f.StringVar(&o.Runner.Model, "model", "", "openai: model id (default: the first the server lists)")
	f.StringVar(&o.Runner.KeyEnv, "api-key-env", "", "openai: environment variable holding the API key")
	f.StringVar(&o.Command, "command", "", "openai: command that starts the server, e.g. \"vllm serve {dir} --port {port}\"")
	f.StringVar(&o.Runner.Binary, "ollama", "", "ollama: the ollama executable (default: on PATH)")
	f.StringVar(&o.Runner.File, "file", "", "ollama: the GGUF file to load, in the model folder or the bundle")
	f.BoolVar(&o.Transfer.plainHTTP, "plain-http", false, "a bundle reference: talk plain HTTP to the registry (local registries)")
	f.IntVar(&o.Runner.MaxTokens, "max-tokens", 0, "tokens per answer (default 256)")
	f.IntVar(&o.Runner.Requests, "concurrency", 0, "requests in flight (default 1 for ollama, 4 for openai)")
	f.StringVar(&o.Runner.Timeout, "timeout", "", "timeout of the whole run, e.g. 30m")
	f.StringVar(&o.Runner.RequestTimeout, "request-timeout", "", "timeout of one request (default 2m)")
	f.StringVar(&o.Template, "template", "", "\"runtime\": let the runtime apply its own chat template")
	f.StringVar(&o.Schema, "schema", "", "JSON Schema each answer must satisfy")
	f.Float64Var(&o.MinValid, "min-valid", -1, "minimum valid rate, 0..1")
	f.StringVar(&o.Baseline, "baseline", "", "an earlier eval report (same prompts) not to regress from")
	f.StringVar(&o.Out, "out", "eval-out", "folder for predictions, report and hard cases")
	f.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	return cmd
}

func runEvalRun(cmd *cobra.Command, stdio *IO, o *evalRunOptions, target string) error {
	p, opts, err := o.options(cmd.Context(), target)
	if p.Scratch != "" {
		defer os.RemoveAll(p.Scratch)
	}
	if err != nil {
		return err
	}
	if stdio.IsTerm {
		p.Progress = func(done, total int) { fmt.Fprintf(stdio.Err, "\r%d/%d prompts", done, total) }
	}
	rep, err := jsoneval.RunPrompts(cmd.Context(), p, opts)
	if stdio.IsTerm {
		fmt.Fprintln(stdio.Err)
	}
	if err != nil {
		return err
	}
	if err := printEvalReport(stdio.Out, rep, o.Out, o.JSON); err != nil {
		return err
	}
	if rep.Verdict != jsoneval.VerdictPass {
		return exitCode(1, nil)
	}
	return nil
}

// options turns the flags into what jsoneval runs.
func (o *evalRunOptions) options(ctx context.Context, target string) (jsoneval.PrepareOptions, jsoneval.Options, error) {
	o.Runner.Command = strings.Fields(o.Command)
	p := jsoneval.PrepareOptions{Prompts: o.Prompts, Target: target, Runner: o.Runner, Template: o.Template}
	var opts jsoneval.Options
	if o.Prompts == "" || o.Runner.Kind == "" {
		return p, opts, usagef("eval run requires --prompts and --runner")
	}
	if ds := o.Runner.Check(); len(ds) > 0 {
		return p, opts, usagef("--runner: %s", ds[0].Summary)
	}
	var err error
	if p.Scratch, err = os.MkdirTemp("", "ckpt-eval-"); err != nil {
		return p, opts, err
	}
	if p.Target, p.Digest, err = o.evalTarget(ctx, target, p.Scratch); err != nil {
		return p, opts, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return p, opts, err
	}
	opts = jsoneval.Options{OutputDir: o.Out}
	if o.MinValid >= 0 {
		opts.Thresholds.MinValid = &o.MinValid
	}
	return p, opts, o.gate(&opts)
}

// gate loads the schema and the baseline report.
func (o *evalRunOptions) gate(opts *jsoneval.Options) error {
	if o.Schema != "" {
		s, err := jsoneval.LoadSchema(o.Schema)
		if err != nil {
			return err
		}
		opts.Schema, opts.SchemaName = s, filepath.Base(o.Schema)
	}
	if o.Baseline != "" {
		b, err := jsoneval.ReadReport(o.Baseline)
		if err != nil {
			return err
		}
		opts.Baseline, opts.BaselineSource = b, o.Baseline
	}
	return nil
}

func printEvalReport(w io.Writer, rep *jsoneval.Report, out string, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	m, g := rep.Metrics, rep.Generation
	fmt.Fprintf(w, "%s %s answered %d prompts of %s (target %s, bound %t, template %s)\n",
		g.Runner.Kind, g.Runner.Model, m.Total, g.Prompts, rep.Target, g.Bound, g.Template)
	fmt.Fprint(w, "settings sent: ")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(g.Runner.Settings); err != nil {
		return err
	}
	fmt.Fprintf(w, "valid %d of %d (%.2f%%)", m.Valid, m.Total, 100*m.ValidRate)
	if m.FieldAccuracy != nil {
		fmt.Fprintf(w, ", field accuracy %.4f", *m.FieldAccuracy)
	}
	fmt.Fprintln(w)
	for _, c := range rep.Clusters.ByCategory {
		fmt.Fprintf(w, "  %s: %d\n", c.Key, c.Count)
	}
	for _, f := range rep.Failures {
		fmt.Fprintln(w, "gate:", f.Message)
	}
	fmt.Fprintf(w, "verdict: %s; %d hard cases; report in %s\n", rep.Verdict, rep.HardCases, filepath.Join(out, jsoneval.ReportFile))
	return nil
}
