package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/synth/chatset"
	"github.com/ckpt-dev/ckpt/packaging/synth/evalset"
)

// File names written by ckpt synth predictions and ckpt synth dataset.
const (
	synthPredictionsFile = "predictions.jsonl"
	synthSchemaFile      = "ticket.schema.json"
	synthTrainFile       = "train.jsonl"
	synthValidationFile  = "validation.jsonl"
)

// synthEvalOptions are the flags of ckpt synth predictions and dataset.
type synthEvalOptions struct {
	N         int
	Seed      uint64
	Defects   []string
	PerDefect int
}

// newSynthEvalCmds returns `ckpt synth predictions` and `ckpt synth dataset`.
func newSynthEvalCmds(stdio *IO) []*cobra.Command {
	return []*cobra.Command{newSynthPredictionsCmd(stdio), newSynthDatasetCmd(stdio)}
}

func newSynthPredictionsCmd(stdio *IO) *cobra.Command {
	o := synthEvalOptions{N: 200, Seed: 1}
	cmd := &cobra.Command{
		Use:   "predictions OUT",
		Short: "Write support-ticket predictions and their JSON Schema, with known defects",
		Long: fmt.Sprintf(`predictions writes OUT/%s (id, input, output, expected, tags) for a
support-ticket triage task and OUT/%s, the schema outputs must satisfy.
Every --defects name is planted --per-defect times at seeded positions:
%s, or all. fenced is valid only with extract = "fenced" or
"first_object"; wrong_field is valid JSON with one wrong field.`, synthPredictionsFile, synthSchemaFile, strings.Join(evalset.Defects(), ", ")),
		Args: synthEvalArgs("predictions requires OUT"),
		RunE: func(_ *cobra.Command, args []string) error { return synthPredictionsRun(stdio, o, args[0]) },
	}
	addSynthEvalFlags(cmd, &o)
	cmd.Flags().IntVar(&o.PerDefect, "per-defect", 1, "times each defect is planted")
	return cmd
}

func newSynthDatasetCmd(stdio *IO) *cobra.Command {
	o := synthEvalOptions{N: 100, Seed: 1}
	cmd := &cobra.Command{
		Use:   "dataset OUT",
		Short: "Write a chat fine-tuning dataset (train and validation JSONL), with known defects",
		Long: fmt.Sprintf(`dataset writes OUT/%s (--n samples) and OUT/%s (max(2, n/10)
samples) of support conversations, some with tool calls. Every --defects
name is planted once: %s, or all.
split_overlap copies a training sample into the validation split; the
others damage one training line each.`, synthTrainFile, synthValidationFile, strings.Join(chatset.Defects(), ", ")),
		Args: synthEvalArgs("dataset requires OUT"),
		RunE: func(_ *cobra.Command, args []string) error { return synthDatasetRun(stdio, o, args[0]) },
	}
	addSynthEvalFlags(cmd, &o)
	return cmd
}

// synthPredictionsRun writes the predictions and the schema into dir.
func synthPredictionsRun(stdio *IO, o synthEvalOptions, dir string) error {
	var buf bytes.Buffer
	planted, err := evalset.Write(&buf, evalset.Options{N: o.N, Seed: o.Seed, Defects: o.Defects, PerDefect: o.PerDefect})
	if err != nil {
		return usagef("%w", err)
	}
	files := map[string][]byte{synthPredictionsFile: buf.Bytes(), synthSchemaFile: []byte(evalset.TicketSchema)}
	if err := writeSynthEvalFiles(dir, files); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "wrote %d predictions to %s and the schema to %s\n", o.N,
		filepath.Join(dir, synthPredictionsFile), filepath.Join(dir, synthSchemaFile))
	for _, p := range planted {
		fmt.Fprintf(stdio.Out, "  %s:%d  %s  %s\n", synthPredictionsFile, p.Line, p.ID, p.Defect)
	}
	return nil
}

// synthDatasetRun writes the train and validation splits into dir.
func synthDatasetRun(stdio *IO, o synthEvalOptions, dir string) error {
	var tr, va bytes.Buffer
	planted, err := chatset.Write(&tr, &va, chatset.Options{N: o.N, Seed: o.Seed, Defects: o.Defects})
	if err != nil {
		return usagef("%w", err)
	}
	if err := writeSynthEvalFiles(dir, map[string][]byte{synthTrainFile: tr.Bytes(), synthValidationFile: va.Bytes()}); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "wrote %s and %s in %s\n", synthTrainFile, synthValidationFile, dir)
	for _, p := range planted {
		fmt.Fprintf(stdio.Out, "  %s.jsonl:%d  %s\n", p.File, p.Line, p.Code)
	}
	return nil
}

func addSynthEvalFlags(cmd *cobra.Command, o *synthEvalOptions) {
	cmd.Flags().IntVar(&o.N, "n", o.N, "number of samples")
	cmd.Flags().Uint64Var(&o.Seed, "seed", o.Seed, "random seed (same seed, same files)")
	cmd.Flags().StringSliceVar(&o.Defects, "defects", nil, "defects to plant, comma separated, or all")
}

func synthEvalArgs(msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usagef("%s", msg)
		}
		return nil
	}
}

// writeSynthEvalFiles creates dir and writes the files in it.
func writeSynthEvalFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
