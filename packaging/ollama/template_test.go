package ollama_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/ollama"
)

func jinja(src string, conv []byte) (string, error) {
	vars := compat.DefaultVars()
	return compat.RenderTemplate(src, conv, vars)
}

// TestTemplatesMatchJinja: ckpt's Ollama template of each version renders
// what mistral-common's own Jinja template of that version renders.
func TestTemplatesMatchJinja(t *testing.T) {
	fixtures := filepath.Join("..", "..", "..", "shared", "fixtures", "mistral-common")
	for _, v := range []chatfmt.Version{{N: 3}, {N: 7}, {N: 11}, {N: 3, SPM: true}, {N: 2, SPM: true}} {
		t.Run(v.String(), func(t *testing.T) {
			src := chatTemplate(t, fixtures, v)
			tmpl, err := ollama.Template(v)
			if err != nil {
				t.Fatal(err)
			}
			n, err := ollama.Check(tmpl, src, jinja, v)
			if err != nil {
				t.Fatal(err)
			}
			if n < 3 {
				t.Errorf("only %d conversations compared", n)
			}
		})
	}
}

func TestTemplateMismatch(t *testing.T) {
	v := chatfmt.Version{N: 7}
	src := chatTemplate(t, filepath.Join("..", "..", "..", "shared", "fixtures", "mistral-common"), v)
	tmpl, _ := ollama.Template(chatfmt.Version{N: 3})
	if _, err := ollama.Check(tmpl, src, jinja, v); !errors.Is(err, ollama.ErrTemplate) {
		t.Errorf("the v3 template passed for v7: %v", err)
	}
	if _, err := ollama.Template(chatfmt.Version{N: 15}); err == nil {
		t.Error("a template for v15")
	}
}

func chatTemplate(t *testing.T, fixtures string, v chatfmt.Version) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, "chat_templates", v.String()+".jinja"))
	if err != nil {
		t.Skip(err)
	}
	return string(b)
}
