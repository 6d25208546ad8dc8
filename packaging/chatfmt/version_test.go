package chatfmt_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
)

func TestDetectVersion(t *testing.T) {
	for _, tc := range []struct{ file, content, want string }{
		{"tekken.json", `{"config": {"version": "v7"}}`, "v7"},
		{"tekken.json", `{"config": {"version": "v13"}, "special_tokens": [{"token_str": "[THINK]"}, {"token_str": "[/THINK]"}]}`, "v13_think"},
		{"tekken.json", `{"config": {"version": "v13"}, "special_tokens": [{"token_str": "[THINK]"}]}`, "v13"},
		{"tokenizer.model", "", "v1_spm"},
		{"tokenizer.model.v3", "", "v3_spm"},
		{"tokenizer.model.v7m1", "", "v7_spm"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		v, path, err := chatfmt.DetectVersion(dir)
		if err != nil || v.String() != tc.want || filepath.Base(path) != tc.file {
			t.Errorf("%s %s: got %v %s %v, want %s", tc.file, tc.content, v, path, err, tc.want)
		}
	}
}

func TestDetectVersionErrors(t *testing.T) {
	for _, tc := range []struct {
		files map[string]string
		want  string
	}{
		{map[string]string{"config.json": "{}"}, "no Mistral tokenizer"},
		{map[string]string{"tekken.json": "{}", "tokenizer.model.v3": ""}, "several tokenizer files"},
		{map[string]string{"tekken.json": `{"config": {"version": "v9"}}`}, `config.version "v9"`},
		{map[string]string{"tekken.json": `{"config": `}, "tekken.json"},
		{map[string]string{"tokenizer.model.v4": ""}, "Unrecognized tokenizer filename"},
	} {
		dir := t.TempDir()
		for name, content := range tc.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := chatfmt.DetectVersion(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.files, err, tc.want)
		}
	}
	if _, _, err := chatfmt.DetectVersion(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing folder: no error")
	}
}

func TestParseVersion(t *testing.T) {
	for _, s := range []string{"v1", "v2_spm", "v7m1", "v11", "v13_think", "v15"} {
		if _, err := chatfmt.ParseVersion(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"", "7", "v4", "v11_spm", "v7_think", "v3x"} {
		if _, err := chatfmt.ParseVersion(s); err == nil {
			t.Errorf("%s: no error", s)
		}
	}
}

func TestLoadTemplate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, _, err := chatfmt.LoadTemplate(dir); err == nil {
		t.Error("empty folder: no error")
	}
	write("tokenizer_config.json", `{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}`)
	if src, _, err := chatfmt.LoadTemplate(dir); err != nil || src != "D" {
		t.Errorf("named templates: %q %v", src, err)
	}
	write("chat_template.jinja", "J")
	if src, from, err := chatfmt.LoadTemplate(dir); err != nil || src != "J" || filepath.Base(from) != "chat_template.jinja" {
		t.Errorf("chat_template.jinja first: %q %s %v", src, from, err)
	}
	p := write("other.json", `{"chat_template": "S"}`)
	if src, _, err := chatfmt.LoadTemplate(p); err != nil || src != "S" {
		t.Errorf("string template: %q %v", src, err)
	}
	p = write("bad.json", `{"bos_token": "<s>"}`)
	if _, _, err := chatfmt.LoadTemplate(p); err == nil {
		t.Error("config without a template: no error")
	}
}

func TestDetectVersionNames(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mistral_instruct_tokenizer_240323.model.v3"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, _, err := chatfmt.DetectVersion(dir); err != nil || v.String() != "v3_spm" {
		t.Errorf("got %v, %v", v, err)
	}
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tekken_240718.json"), []byte(`{"config": {"version": "v3"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, _, err := chatfmt.DetectVersion(dir); err != nil || v.String() != "v3" {
		t.Errorf("got %v, %v", v, err)
	}
}
