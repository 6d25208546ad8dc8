package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/aymanbagabas/go-udiff"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

type fmtOptions struct {
	check, diff bool
}

func newFmtCmd(stdio *IO) *cobra.Command {
	var o fmtOptions
	cmd := &cobra.Command{
		Use:   "fmt [PATH]",
		Short: "Rewrite spec files in canonical format",
		Long: `Fmt rewrites the *.ckpt.hcl files of PATH (a folder, default ".", or one
file) in HCL's canonical format and prints the names of the files it changed.
With --check it changes nothing and exits 1 when a file is not formatted.
Exit status: 0 formatted, 1 unformatted (--check) or unparsable, 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := specPath(args)
			if err != nil {
				return err
			}
			return runFmt(stdio, path, o)
		},
	}
	cmd.Flags().BoolVar(&o.check, "check", false, "change nothing; exit 1 when a file is not formatted")
	cmd.Flags().BoolVar(&o.diff, "diff", false, "print the changes as a unified diff")
	return cmd
}

func runFmt(stdio *IO, path string, o fmtOptions) error {
	files, err := fmtFiles(path)
	if err != nil {
		return err
	}
	var changed, invalid bool
	for _, f := range files {
		c, ok, err := fmtFile(stdio, f, o)
		if err != nil {
			return err
		}
		changed, invalid = changed || c, invalid || !ok
	}
	if invalid || (o.check && changed) {
		return exitCode(1, nil)
	}
	return nil
}

// fmtFiles lists the files fmt handles at path.
func fmtFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, exitCode(1, fmt.Errorf("fmt: %w", err))
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	files, err := filepath.Glob(filepath.Join(path, "*"+spec.Suffix))
	if err != nil {
		return nil, fmt.Errorf("fmt: %w", err)
	}
	slices.Sort(files)
	return files, nil
}

// fmtFile formats one file: it reports whether the file was (or, with
// --check, would be) changed and whether it parses.
func fmtFile(stdio *IO, name string, o fmtOptions) (changed, ok bool, err error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return false, false, exitCode(1, fmt.Errorf("fmt: %w", err))
	}
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		writeDiags(stdio, map[string]*hcl.File{name: f}, diags)
		return false, false, nil
	}
	out := hclwrite.Format(src)
	if bytes.Equal(src, out) {
		return false, true, nil
	}
	fmt.Fprintln(stdio.Out, name)
	if o.diff {
		unifiedDiff(stdio.Out, name, string(src), string(out))
	}
	if !o.check {
		if err := replaceFile(name, out); err != nil {
			return true, true, exitCode(1, fmt.Errorf("fmt: %w", err))
		}
	}
	return true, true, nil
}

// replaceFile writes data to name atomically, keeping the file's mode.
func replaceFile(name string, data []byte) error {
	st, err := os.Stat(name)
	if err != nil {
		return err
	}
	return state.WriteFile(name, data, st.Mode().Perm())
}

// unifiedDiff writes a unified diff of a → b with three lines of context.
func unifiedDiff(w io.Writer, name, a, b string) {
	io.WriteString(w, udiff.Unified(name, name, a, b))
}
