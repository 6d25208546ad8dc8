package runner

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// testGGUF exports a synthesized random model as an F32 GGUF.
func testGGUF(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := synth.Model(t.Context(), filepath.Join(dir, "model"), synth.ModelOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "tiny-F32.gguf")
	if err := gguf.Export(t.Context(), filepath.Join(dir, "model"), p, gguf.Options{Type: gguf.FileF32, Name: "tiny"}); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOllamaRunnerMatchesOpenAICommand(t *testing.T) {
	bin := testenv.RequireOllama(t)
	gguf := testGGUF(t)
	dir := t.TempDir()
	reqs := []Request{{ID: "a", Prompt: "[INST]Give me a ticket as JSON[/INST]"}, {ID: "b", Prompt: "[INST]hello[/INST]"}}
	settings := Settings{MaxTokens: 12, Stop: []string{"</s>"}}
	r, err := NewOllama(t.Context(), OllamaOptions{Binary: bin, GGUF: gguf, Dir: dir, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Run(t.Context(), r, reqs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Run(t.Context(), r, reqs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	digest, _ := FileDigest(gguf)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !info.Bound || info.Digest != digest || len(info.Served) != 1 || !strings.HasPrefix(info.Served[0], info.Model) {
		t.Errorf("info %+v", info)
	}
	for i := range want {
		if want[i].Text != again[i].Text || want[i].PromptTokens == 0 || want[i].Tokens == 0 {
			t.Errorf("%s: %+v then %+v: want the same greedy output and token counts", reqs[i].ID, want[i], again[i])
		}
	}
	// The same model folder served by a command through Ollama's
	// OpenAI-compatible endpoint answers the same.
	o, err := NewOpenAI(t.Context(), OpenAIOptions{Command: ollamaCommand(bin), Dir: dir, Model: info.Model, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got, err := Run(t.Context(), o, reqs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i].Text != want[i].Text {
			t.Errorf("%s: openai %q, ollama %q", reqs[i].ID, got[i].Text, want[i].Text)
		}
	}
	t.Logf("outputs %q, prompt tokens %d", want[0].Text, want[0].PromptTokens)
}

func TestOllamaRuntimeTemplate(t *testing.T) {
	bin := testenv.RequireOllama(t)
	r, err := NewOllama(t.Context(), OllamaOptions{Binary: bin, GGUF: testGGUF(t), Dir: t.TempDir(), Chat: true, Settings: Settings{MaxTokens: 4}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Generate(t.Context(), Request{ID: "c", Messages: []byte(`[{"role":"user","content":"hello"}]`)})
	if err != nil || got.PromptTokens == 0 {
		t.Fatalf("%+v, %v", got, err)
	}
}
