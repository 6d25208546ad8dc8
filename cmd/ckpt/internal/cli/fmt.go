package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

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
	x, y := splitLines(a), splitLines(b)
	ops := diffLines(x, y)
	fmt.Fprintf(w, "--- %s\n+++ %s\n", name, name)
	for start := 0; start < len(ops); {
		for start < len(ops) && ops[start].kind == ' ' {
			start++
		}
		if start == len(ops) {
			break
		}
		from := max(start-3, 0)
		end := start
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 6 || run == len(ops) {
				end = min(end+3, len(ops))
				break
			}
			end = run
		}
		writeHunk(w, ops[from:end])
		start = end
	}
}

type diffOp struct {
	kind   byte // ' ', '-' or '+'
	line   string
	ai, bi int // 1-based line numbers before and after
}

func writeHunk(w io.Writer, ops []diffOp) {
	var na, nb int
	for _, op := range ops {
		if op.kind != '+' {
			na++
		}
		if op.kind != '-' {
			nb++
		}
	}
	fmt.Fprintf(w, "@@ -%d,%d +%d,%d @@\n", ops[0].ai, na, ops[0].bi, nb)
	for _, op := range ops {
		line := op.line
		if !strings.HasSuffix(line, "\n") {
			line += "\n\\ No newline at end of file\n"
		}
		fmt.Fprintf(w, "%c%s", op.kind, line)
	}
}

// diffLines is a longest-common-subsequence line diff (spec files are small).
func diffLines(x, y []string) []diffOp {
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, diffOp{' ', x[i], i + 1, j + 1})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, diffOp{'-', x[i], i + 1, j + 1})
			i++
		default:
			ops = append(ops, diffOp{'+', y[j], i + 1, j + 1})
			j++
		}
	}
	return ops
}

// splitLines splits s after each newline, without a trailing empty line.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
