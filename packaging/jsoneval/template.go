package jsoneval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
)

// Template is the chat template that renders prompts: the target's own,
// so that eval-time prompts are the training-time ones.
type Template struct {
	Source string
	// File is where it was found, e.g. "chat_template.jinja".
	File string
	// Version is the sha256 of Source: the template version clustered on.
	Version string
	Vars    compat.TemplateVars
}

// NewTemplate wraps a template source (from a folder, a GGUF's
// tokenizer.chat_template, ...) and the tokenizer's special tokens.
func NewTemplate(src, file string, vars compat.TemplateVars) *Template {
	sum := sha256.Sum256([]byte(src))
	vars.AddGenerationPrompt = true
	return &Template{Source: src, File: file, Version: "sha256:" + hex.EncodeToString(sum[:]), Vars: vars}
}

// LoadTemplate reads a model folder's chat template: chat_template.jinja,
// else tokenizer_config.json's chat_template; the special tokens come from
// tokenizer_config.json when it names them.
func LoadTemplate(dir string) (*Template, error) {
	tc := map[string]json.RawMessage{}
	if b, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json")); err == nil {
		if err := json.Unmarshal(b, &tc); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "tokenizer_config.json"), err)
		}
	}
	vars := compat.DefaultVars()
	for key, dst := range map[string]*string{"bos_token": &vars.BOS, "eos_token": &vars.EOS, "unk_token": &vars.UNK, "pad_token": &vars.PAD} {
		if s := tokenName(tc[key]); s != "" {
			*dst = s
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
		return NewTemplate(string(b), "chat_template.jinja", vars), nil
	}
	var src string
	if json.Unmarshal(tc["chat_template"], &src) == nil && src != "" {
		return NewTemplate(src, "tokenizer_config.json", vars), nil
	}
	return nil, fmt.Errorf("%s: no chat template (chat_template.jinja or tokenizer_config.json's chat_template); set template = \"runtime\" to let the runtime apply its own", dir)
}

// LoadGGUFTemplate reads a GGUF file's tokenizer.chat_template, with the
// BOS and EOS tokens its tokenizer names.
func LoadGGUFTemplate(path string) (*Template, error) {
	f, err := gguf.ReadFile(path)
	if err != nil {
		return nil, err
	}
	src, _ := f.Get("tokenizer.chat_template")
	if s, ok := src.(string); !ok || s == "" {
		return nil, fmt.Errorf("%s: no tokenizer.chat_template; set template = \"runtime\" to let the runtime apply its own", path)
	}
	vars := compat.DefaultVars()
	tokens, _ := f.Get("tokenizer.ggml.tokens")
	names, _ := tokens.([]string)
	for key, dst := range map[string]*string{"tokenizer.ggml.bos_token_id": &vars.BOS, "tokenizer.ggml.eos_token_id": &vars.EOS} {
		if id, ok := f.Get(key); ok {
			if i, ok := id.(uint32); ok && int(i) < len(names) {
				*dst = names[i]
			}
		}
	}
	return NewTemplate(src.(string), filepath.Base(path)+" tokenizer.chat_template", vars), nil
}

// tokenName reads a special token given as a string or as {"content": ...}.
func tokenName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Content string `json:"content"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.Content
}

// Render renders a prompt's conversation, with the generation prompt.
func (t *Template) Render(p Prompt) (string, error) {
	conv := map[string]json.RawMessage{"messages": p.Messages}
	if len(p.Tools) > 0 && string(p.Tools) != "null" {
		conv["tools"] = p.Tools
	}
	b, err := json.Marshal(conv)
	if err != nil {
		return "", err
	}
	out, err := compat.RenderTemplate(t.Source, b, t.Vars)
	if err != nil {
		return "", fmt.Errorf("render %s with %s: %w", p.ID, t.File, err)
	}
	if out == "" {
		return "", errors.New("render " + p.ID + ": the template rendered nothing")
	}
	return out, nil
}
