package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/spm"
	"github.com/ckpt-dev/ckpt/packaging/tekken"
)

func newTemplateCmd(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "template",
		Short: "Render a chat template, or compare it with the canonical Mistral format",
	}
	cmd.AddCommand(newTemplateRenderCmd(stdio), newTemplateDiffCmd(stdio))
	return cmd
}

type templateRenderOptions struct {
	messages, version string
	canonical, tokens bool
	json              bool
}

func newTemplateRenderCmd(stdio *IO) *cobra.Command {
	var o templateRenderOptions
	cmd := &cobra.Command{
		Use:   "render DIR|FILE --messages CONV.json",
		Short: "Print the text a chat template renders for a conversation",
		Long: `Render prints what transformers' apply_chat_template gives for the
conversation in CONV.json ({"messages": [...], "tools": [...]}) with the chat
template of DIR (chat_template.jinja, else tokenizer_config.json) or FILE.
--canonical prints instead what mistral-common's encode_chat_completion
gives for the tokenizer version (--version, else the folder's tekken.json or
tokenizer.model.vN); --tokens adds the ids, encoded with the folder's
tokenizer.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.messages == "" {
				return usagef("--messages CONV.json is required")
			}
			return templateRender(stdio, args[0], o)
		},
	}
	cmd.Flags().StringVar(&o.messages, "messages", "", "conversation JSON file")
	cmd.Flags().StringVar(&o.version, "version", "", "tokenizer version (v1 … v15, vN_spm, v13_think)")
	cmd.Flags().BoolVar(&o.canonical, "canonical", false, "print the canonical text instead of the template's")
	cmd.Flags().BoolVar(&o.tokens, "tokens", false, "print the token ids too")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

type renderOutput struct {
	Source  string `json:"source"`
	Version string `json:"version,omitempty"`
	Text    string `json:"text"`
	Tokens  []int  `json:"tokens,omitempty"`
}

func templateRender(stdio *IO, path string, o templateRenderOptions) error {
	conv, err := os.ReadFile(o.messages)
	if err != nil {
		return err
	}
	out := renderOutput{Source: "canonical"}
	var pieces []chatfmt.Piece
	if o.canonical {
		v, err := templateVersion(path, o.version)
		if err != nil {
			return err
		}
		out.Version = v.String()
		req, err := chatfmt.ParseRequest(conv)
		if err != nil {
			return fmt.Errorf("%s: %w", o.messages, err)
		}
		if pieces, err = chatfmt.Canonical(req, v); err != nil {
			return fmt.Errorf("mistral-common refuses the conversation: %w", err)
		}
		out.Text = chatfmt.Text(pieces, v)
	} else {
		src, from, err := chatfmt.LoadTemplate(path)
		if err != nil {
			return err
		}
		out.Source = from
		if out.Text, err = chatfmt.Apply(renderTemplate, src, conv); err != nil {
			return fmt.Errorf("%s: %w", from, err)
		}
	}
	if o.tokens {
		if out.Tokens, err = templateTokens(path, pieces, out.Text); err != nil {
			return err
		}
	}
	return printRender(stdio, out, o.json)
}

// renderTemplate is ckpt's Jinja renderer with Mistral's special tokens.
func renderTemplate(src string, conv []byte) (string, error) {
	return compat.RenderTemplate(src, conv, compat.DefaultVars())
}

// templateVersion is --version, else the version of the folder's tokenizer.
func templateVersion(path, flag string) (chatfmt.Version, error) {
	if flag != "" {
		v, err := chatfmt.ParseVersion(flag)
		if err != nil {
			return v, usageError{err}
		}
		return v, nil
	}
	v, _, err := chatfmt.DetectVersion(folder(path))
	if err != nil {
		return v, fmt.Errorf("%w (or pass --version)", err)
	}
	return v, nil
}

// folder is path, or the folder of the file path.
func folder(path string) string {
	if info, err := os.Stat(path); err == nil && !info.IsDir() {
		return filepath.Dir(path)
	}
	return path
}

// templateTokens encodes with the folder's tokenizer: the canonical pieces
// one by one, or a template's text with its special names as ids (tekken).
func templateTokens(path string, pieces []chatfmt.Piece, text string) ([]int, error) {
	_, file, err := chatfmt.DetectVersion(folder(path))
	if err != nil {
		return nil, fmt.Errorf("--tokens: %w", err)
	}
	if filepath.Ext(file) != ".json" {
		if pieces == nil {
			return nil, usagef("--tokens: a SentencePiece tokenizer encodes the canonical text only (add --canonical)")
		}
		model, err := spm.Load(file)
		if err != nil {
			return nil, err
		}
		return chatfmt.Tokens(pieces, model)
	}
	tok, err := tekken.Load(file)
	if err != nil {
		return nil, err
	}
	if pieces == nil {
		return tok.EncodeSpecials(text), nil
	}
	return chatfmt.Tokens(pieces, tok)
}

func printRender(stdio *IO, out renderOutput, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	fmt.Fprintln(stdio.Out, out.Text)
	if out.Tokens != nil {
		ids, _ := json.Marshal(out.Tokens)
		fmt.Fprintf(stdio.Out, "%s\n%d tokens\n", ids, len(out.Tokens))
	}
	return nil
}

func newTemplateDiffCmd(stdio *IO) *cobra.Command {
	var version string
	cmd := &cobra.Command{
		Use:   "diff DIR|FILE",
		Short: "Compare a chat template with the canonical format of its tokenizer version",
		Long: `Diff renders ckpt's conversation suite (system prompts, tools, tool calls and
results, consecutive messages, continue_final_message, think chunks) with the
chat template and with mistral-common's format for the tokenizer version, and
prints every conversation whose texts differ, with the byte offset of the
first difference. It exits 1 when any differs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return templateDiff(stdio, args[0], version)
		},
	}
	cmd.Flags().StringVar(&version, "version", "", "tokenizer version (default: the folder's tokenizer)")
	return cmd
}

func templateDiff(stdio *IO, path, flag string) error {
	src, from, err := chatfmt.LoadTemplate(path)
	if err != nil {
		return err
	}
	v, err := templateVersion(path, flag)
	if err != nil {
		return err
	}
	diffs, err := chatfmt.Diff(renderTemplate, src, v)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		fmt.Fprintln(stdio.Out, d)
	}
	n := len(chatfmt.Suite(v))
	if len(diffs) > 0 {
		return exitCode(1, fmt.Errorf("%s: %d of %d conversations differ from the canonical %s format", from, len(diffs), n, v))
	}
	fmt.Fprintf(stdio.Out, "%s: the %d conversations render the canonical %s text\n", from, n, v)
	return nil
}
