package compat_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
)

func TestReadTrainingTemplate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := compat.ReadTrainingTemplate(dir); err == nil || !strings.Contains(err.Error(), "records no chat template") {
		t.Errorf("empty folder: %v", err)
	}
	write("tokenizer_config.json", `{"chat_template": `)
	if _, err := compat.ReadTrainingTemplate(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("malformed tokenizer_config.json: %v", err)
	}
	write("tokenizer_config.json", `{"chat_template": "{{ messages }}"}`)
	tt, err := compat.ReadTrainingTemplate(dir)
	if err != nil || tt.Template != "{{ messages }}" || tt.Source != filepath.Join(dir, "tokenizer_config.json") {
		t.Errorf("tokenizer_config.json: %+v %v", tt, err)
	}
	write("chat_template.jinja", "{{ bos_token }}")
	tt, err = compat.ReadTrainingTemplate(dir)
	if err != nil || tt.Template != "{{ bos_token }}" || tt.Source != filepath.Join(dir, "chat_template.jinja") {
		t.Errorf("chat_template.jinja first: %+v %v", tt, err)
	}
}
