package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
)

func newEvalHardCasesCmd(stdio *IO) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "hard-cases DIR --to-dataset OUT.jsonl",
		Short: "Turn an eval's hard cases into chat training rows (prompt + expected answer)",
		Long: `hard-cases reads DIR/hard-cases.jsonl (an eval step's output, or
ckpt eval run's --out) and writes, for every hard case whose prompt has an
expected answer, a chat row: the prompt's messages followed by the expected
answer as the assistant's message. ckpt check-data accepts the result.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usagef("hard-cases requires --to-dataset")
			}
			return runEvalHardCases(stdio, args[0], to)
		},
	}
	cmd.Flags().StringVar(&to, "to-dataset", "", "chat JSONL to write")
	return cmd
}

func runEvalHardCases(stdio *IO, dir, to string) error {
	path := dir
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		path = filepath.Join(dir, jsoneval.HardCasesFile)
	}
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := state.Create(to, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	st, err := jsoneval.ToDataset(in, filepath.Base(path), f)
	if err == nil {
		err = f.Commit()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "%s: %d rows; skipped %d without an expected answer, %d without their messages\n",
		to, st.Written, st.NoExpected, st.NoMessages)
	return nil
}

func newEvalStampCmd(stdio *IO) *cobra.Command {
	var target, out string
	cmd := &cobra.Command{
		Use:   "stamp PREDICTIONS --target DIGEST --out FILE",
		Short: "Mark predictions produced outside ckpt with the digest of the model that produced them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if target == "" || out == "" {
				return usagef("stamp requires --target and --out")
			}
			return runEvalStamp(stdio, args[0], target, out)
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "the model's artifact digest (sha256:...)")
	cmd.Flags().StringVar(&out, "out", "", "stamped predictions to write")
	return cmd
}

func runEvalStamp(stdio *IO, path, target, out string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := state.Create(out, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	n, err := jsoneval.Stamp(in, filepath.Base(path), target, f)
	if err == nil {
		err = f.Commit()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "%s: %d predictions stamped with %s\n", out, n, target)
	return nil
}
