package chatfmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoTemplate is returned by LoadTemplate for a folder without a chat template.
var ErrNoTemplate = errors.New("no chat template (chat_template.jinja or tokenizer_config.json chat_template)")

// LoadTemplate reads the chat template a runtime would use: a .jinja file,
// a tokenizer_config.json's chat_template (a string, or the "default" of a
// list of named templates), or in a folder chat_template.jinja first, then
// tokenizer_config.json, as transformers looks them up. It returns the
// source and the file it came from.
func LoadTemplate(path string) (string, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", "", fmt.Errorf("chat template: %w", err)
	}
	if !info.IsDir() {
		if filepath.Ext(path) == ".gguf" {
			return "", "", fmt.Errorf("%s: reading tokenizer.chat_template from GGUF is not supported here: pass the template's text", path)
		}
		src, err := templateFile(path)
		return src, path, err
	}
	for _, name := range []string{"chat_template.jinja", "tokenizer_config.json"} {
		p := filepath.Join(path, name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		src, err := templateFile(p)
		if errors.Is(err, ErrNoTemplate) {
			continue
		}
		return src, p, err
	}
	return "", "", fmt.Errorf("%s: %w", path, ErrNoTemplate)
}

func templateFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("chat template: %w", err)
	}
	if filepath.Ext(path) != ".json" {
		return string(data), nil
	}
	var cfg struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	var src string
	if err := json.Unmarshal(cfg.ChatTemplate, &src); err == nil {
		return src, nil
	}
	var named []struct{ Name, Template string }
	if err := json.Unmarshal(cfg.ChatTemplate, &named); err == nil {
		for _, n := range named {
			if n.Name == "default" {
				return n.Template, nil
			}
		}
	}
	return "", fmt.Errorf("%s: %w", path, ErrNoTemplate)
}
