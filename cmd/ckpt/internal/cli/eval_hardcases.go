package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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

// stampOptions are the flags of ckpt eval stamp.
type stampOptions struct {
	target, out, dir string
	replace          bool
}

func newEvalStampCmd(stdio *IO) *cobra.Command {
	var o stampOptions
	cmd := &cobra.Command{
		Use:   "stamp PREDICTIONS --target DIGEST|KIND.NAME --out FILE",
		Short: "Mark predictions produced outside ckpt with the digest of the model that produced them",
		Long: `Stamp writes PREDICTIONS to FILE (which may be PREDICTIONS itself) with every
row naming the artifact digest of the model that produced the outputs, as eval
steps require of static predictions. --target is the digest, or a step address
(merge.support) whose last successful build in the --dir spec folder's ledger
gives it. A row that names another model is refused unless --replace.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.target == "" || o.out == "" {
				return usagef("stamp requires --target and --out")
			}
			return runEvalStamp(stdio, args[0], o)
		},
	}
	cmd.Flags().StringVar(&o.target, "target", "", "the model's artifact digest (sha256:...), or the step KIND.NAME whose last build made it")
	cmd.Flags().StringVar(&o.out, "out", "", "stamped predictions to write")
	cmd.Flags().StringVar(&o.dir, "dir", ".", "the spec `FOLDER` whose ledger resolves a step address")
	cmd.Flags().BoolVar(&o.replace, "replace", false, "replace the digest rows already name")
	return cmd
}

func runEvalStamp(stdio *IO, path string, o stampOptions) error {
	target, err := stampTarget(o.dir, o.target)
	if err != nil {
		return err
	}
	stamp, out := jsoneval.Stamp, o.out
	if o.replace {
		stamp = jsoneval.Restamp
	}
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
	n, err := stamp(in, filepath.Base(path), target, f)
	if err == nil {
		err = f.Commit()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "%s: %d predictions stamped with %s\n", out, n, target)
	return nil
}

// stampTarget is a digest as given, or the digest of a step's last
// successful build in the spec folder's ledger.
func stampTarget(dir, target string) (string, error) {
	if strings.HasPrefix(target, "sha256:") {
		return target, nil
	}
	dg, err := ledgerDigest(dir, target)
	if err != nil {
		return "", fmt.Errorf("stamp --target %s: %w", target, err)
	}
	return dg, nil
}
