package jsoneval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// exportGGUF exports a synthesized model, without its chat template when
// bare is set.
func exportGGUF(t *testing.T, bare bool) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "model")
	if err := synth.Model(t.Context(), src, synth.ModelOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if bare {
		if err := os.Remove(filepath.Join(src, "chat_template.jinja")); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "tiny-F32.gguf")
	if err := gguf.Export(t.Context(), src, out, gguf.Options{Type: gguf.FileF32}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadGGUFTemplate(t *testing.T) {
	tmpl, err := LoadGGUFTemplate(exportGGUF(t, false))
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.Source != synth.ChatTemplate || tmpl.Vars.BOS != "<s>" || tmpl.Vars.EOS != "</s>" || tmpl.File != "tiny-F32.gguf tokenizer.chat_template" {
		t.Errorf("template from %s, vars %+v", tmpl.File, tmpl.Vars)
	}
	got, err := tmpl.Render(Prompt{ID: "a", Messages: []byte(`[{"role":"user","content":"hi"}]`)})
	if err != nil || !strings.Contains(got, "[INST]hi[/INST]") {
		t.Errorf("render: %q, %v", got, err)
	}
}

func TestLoadGGUFTemplateMissing(t *testing.T) {
	p := exportGGUF(t, true)
	_, err := LoadGGUFTemplate(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "tokenizer.chat_template") {
		t.Errorf("a GGUF without a template: %v", err)
	}
}
