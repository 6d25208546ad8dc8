package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/chatdata"
)

// checkDataOptions are the flags of ckpt check-data.
type checkDataOptions struct {
	JSON      bool
	MaxIssues int
}

func newCheckDataCmd(stdio *IO) *cobra.Command {
	var o checkDataOptions
	cmd := &cobra.Command{
		Use:   "check-data FILE...",
		Short: "Validate chat fine-tuning data (JSONL with messages) and print its statistics",
		Long: `check-data validates fine-tuning data in the chat JSONL format (one
{"messages": [...]} object per line, roles system, user, assistant and tool)
and prints every problem as FILE:LINE, then counts and approximate token
lengths per file. A sample must end with an assistant message; tool calls
need an id, a function name and JSON arguments; every tool message must
answer a call made earlier in the sample; contents may not be empty. A
sample found in two files (compared by a hash of its messages) is an error,
as train and validation splits must not share samples; twice in one file,
a warning. It exits 1 when any error is found.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("check-data requires at least 1 FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheckData(cmd, stdio, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the report as JSON")
	cmd.Flags().IntVar(&o.MaxIssues, "max-issues", chatdata.DefaultMaxIssues, "issues listed per file (counts stay exact)")
	return cmd
}

func runCheckData(cmd *cobra.Command, stdio *IO, o checkDataOptions, files []string) error {
	splits := make([]chatdata.Split, len(files))
	for i, f := range files {
		splits[i] = chatdata.Split{Name: strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)), Path: f}
	}
	rep, err := chatdata.Check(cmd.Context(), splits, chatdata.Options{MaxIssues: o.MaxIssues})
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printCheckData(stdio.Out, rep)
	}
	if !rep.OK() {
		return exitCode(1, nil)
	}
	return nil
}

func printCheckData(w io.Writer, rep *chatdata.Report) {
	for _, i := range rep.Issues {
		fmt.Fprintln(w, i)
	}
	if len(rep.Issues) < rep.Errors+rep.Warnings {
		fmt.Fprintf(w, "... %d more issues not listed (see --max-issues)\n", rep.Errors+rep.Warnings-len(rep.Issues))
	}
	for _, f := range rep.Files {
		fmt.Fprintf(w, "%s: %d samples, %d valid; messages %s; %d tool calls\n",
			f.File, f.Samples, f.Valid, roleCounts(f.Messages), f.ToolCalls)
		t := f.Tokens
		fmt.Fprintf(w, "  ~tokens per sample: min %d, mean %.1f, p50 %d, p95 %d, max %d; total ~%d (assistant ~%d)\n",
			t.Min, t.Mean, t.P50, t.P95, t.Max, t.Total, f.AssistantTokens)
	}
	fmt.Fprintf(w, "%d errors, %d warnings\n", rep.Errors, rep.Warnings)
}

func roleCounts(m map[string]int) string {
	var parts []string
	for _, r := range []string{"system", "user", "assistant", "tool"} {
		if m[r] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, m[r]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
