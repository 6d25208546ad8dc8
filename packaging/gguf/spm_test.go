package gguf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

const fixtures = "../../../shared/fixtures/mistral-common"

// TestLlamaTokenizesLikeMistralCommon exports a model whose tokenizer is
// the real SentencePiece tokenizer.model.v3 and compares llama.cpp's
// tokenization of a rendered conversation with the ids mistral-common
// produced for it (the fixture), BOS aside; scores and types load.
func TestLlamaTokenizesLikeMistralCommon(t *testing.T) {
	spm := filepath.Join(fixtures, "tokenizers/mistral_instruct_tokenizer_240323.model.v3")
	data, err := os.ReadFile(spm)
	if err != nil {
		t.Fatal(err)
	}
	l := testenv.RequireLlama(t)
	dir := synthModel(t, synth.ModelOptions{Vocab: 32768})
	os.Remove(filepath.Join(dir, "tekken.json"))
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.model.v3"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := export(t, dir, Options{Type: FileF32})
	text, _ := os.ReadFile(filepath.Join(fixtures, "samples/no_tools/text_v3.txt"))
	var want struct{ Tokens []int }
	b, _ := os.ReadFile(filepath.Join(fixtures, "samples/no_tools/tokens_v3.json"))
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	// The fixture shows SentencePiece's dummy prefix "▁" after each special
	// token; llama.cpp adds that space itself after a special token.
	s := strings.TrimPrefix(string(text), "<s>")
	s = strings.NewReplacer("[INST]▁", "[INST]", "[/INST]▁", "[/INST]").Replace(s)
	s = strings.ReplaceAll(s, "▁", " ")
	got := runLlama(t, l, nodeScript(t, l, "llama.mjs"), llamaReq{Model: out, Texts: [][]any{{s, true}}})
	if !slices.Equal(got.Tokenize[0], want.Tokens[1:]) {
		t.Errorf("llama.cpp %v\nmistral-common %v", got.Tokenize[0], want.Tokens[1:])
	}
}
