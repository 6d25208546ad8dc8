package gguf

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/packaging/tekken"
)

// TestLlamaTokenizesLikeTiktoken exports a model with a 2,000-rank tekken
// vocab (bytes, letter pairs and triples) and compares llama.cpp's
// tokenization of a text set with a tiktoken encoder built from the same
// tekken.json; ckpt's own tekken encoder (packaging/tekken, which counts
// eval input lengths) must give the same ids as both.
func TestLlamaTokenizesLikeTiktoken(t *testing.T) {
	l := testenv.RequireLlama(t)
	dir := synthModel(t, synth.ModelOptions{Vocab: 3000})
	out := export(t, dir, Options{Type: FileF32})
	texts := [][]any{
		{"the rain in spain stays mainly in the plain", false},
		{"Hello World. This is a test, isn't it?", false},
		{"one\n\ntwo\n\n\nthree\n", false},
		{"digits 0123456789 and 3.14159, 1,000,000", false},
		{"accents: café, naïve, Ærøskøbing, São Paulo, Zürich", false},
		{"emoji 🙂👍🏽 and 🇫🇷 flags", false},
		{"  leading spaces\tand\ttabs  ", false},
		{"[INST] what is the plan? [/INST]", false},
		{"[INST] what is the plan? [/INST]", true},
		{"<s>[INST] hi [/INST] hello</s>", true},
	}
	b, _ := json.Marshal(map[string]any{"model": out, "tekken": filepath.Join(dir, "tekken.json"), "texts": texts})
	var res []struct {
		Text      string
		Special   bool
		Llama     []int
		Reference []int
	}
	runJSON(t, &res, l.Node, nodeScript(t, l, "tekken.mjs"), string(b))
	if len(res) != len(texts) {
		t.Fatalf("%d results for %d texts", len(res), len(texts))
	}
	tk, err := tekken.Load(filepath.Join(dir, "tekken.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !slices.Equal(r.Llama, r.Reference) {
			t.Errorf("%q (special %v):\n llama.cpp %v\n tiktoken  %v", r.Text, r.Special, r.Llama, r.Reference)
		}
		ours := tk.Encode(r.Text)
		if r.Special {
			ours = tk.EncodeSpecials(r.Text)
		}
		if !slices.Equal(ours, r.Llama) {
			t.Errorf("%q (special %v):\n llama.cpp %v\n ckpt      %v", r.Text, r.Special, r.Llama, ours)
		}
	}
}
