package gguf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/compat"
)

// ErrTokenizer is wrapped by every tokenizer conversion error.
var ErrTokenizer = errors.New("cannot convert the tokenizer")

// GGUF token types (llama.h enum llama_token_type).
const (
	tokenNormal  int32 = 1
	tokenUnknown int32 = 2
	tokenControl int32 = 3
)

var spmFile = regexp.MustCompile(`^tokenizer\.model(\.v\d+[^.]*)?$`)

// tokenizerKV converts the model folder's tekken.json or SentencePiece
// tokenizer.model(.v*) into tokenizer.ggml.* metadata, plus the chat
// template when the folder has one.
func tokenizerKV(dir string) ([]KV, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, e := range ents {
		if e.Name() == "tekken.json" || spmFile.MatchString(e.Name()) {
			found = append(found, e.Name())
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s: %w: want exactly one tekken.json or tokenizer.model(.v*), found %d %v", dir, ErrTokenizer, len(found), found)
	}
	path := filepath.Join(dir, found[0])
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kv []KV
	if found[0] == "tekken.json" {
		kv, err = tekkenKV(data)
	} else {
		kv, err = spmKV(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrTokenizer, err)
	}
	tmpl, err := chatTemplate(dir)
	if err != nil {
		return nil, err
	}
	if tmpl != "" {
		kv = append(kv, KV{"tokenizer.chat_template", tmpl})
	}
	return kv, nil
}

// chatTemplate reads chat_template.jinja, else tokenizer_config.json's
// chat_template string.
func chatTemplate(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja"))
	if err == nil {
		return string(b), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	path := filepath.Join(dir, "tokenizer_config.json")
	b, err = os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var c struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	var s string
	if len(c.ChatTemplate) > 0 && json.Unmarshal(c.ChatTemplate, &s) != nil {
		return "", fmt.Errorf("%s: chat_template is not one string (named templates are not supported)", path)
	}
	return s, nil
}

// byteToUnicode is GPT-2's bytes_to_unicode table.
func byteToUnicode() [256]rune {
	var t [256]rune
	n := 0
	for b := 0; b < 256; b++ {
		if b >= '!' && b <= '~' || b >= 0xa1 && b <= 0xac || b >= 0xae {
			t[b] = rune(b)
			continue
		}
		t[b] = rune(256 + n)
		n++
	}
	return t
}

func spell(b []byte, enc *[256]rune) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(enc[c])
	}
	return sb.String()
}

// tekkenKV is gguf-py's MistralVocab for tekken: specials first (CONTROL),
// then the inner BPE vocab in rank order in GPT-2 spelling (NORMAL), and
// the merges recovered from the ranks.
func tekkenKV(data []byte) ([]KV, error) {
	t, err := compat.ParseTekken(data)
	if err != nil {
		return nil, err
	}
	nSpecial := t.Config.DefaultNumSpecialTokens
	if nSpecial == 0 {
		nSpecial = len(t.Specials())
	}
	inner := t.Config.DefaultVocabSize - nSpecial
	if inner < 256 || inner > len(t.Vocab) {
		return nil, fmt.Errorf("default_vocab_size %d − %d specials leaves %d BPE ranks; the vocab has %d (need ≥ 256)", t.Config.DefaultVocabSize, nSpecial, inner, len(t.Vocab))
	}
	tokens := make([]string, 0, inner+nSpecial)
	types := make([]int32, 0, inner+nSpecial)
	specials := t.Specials()
	for i := range nSpecial {
		s := fmt.Sprintf("<SPECIAL_%d>", i)
		if i < len(specials) {
			s = specials[i]
		}
		tokens, types = append(tokens, s), append(types, tokenControl)
	}
	enc := byteToUnicode()
	ranks := make(map[string]int, inner)
	for i, v := range t.Vocab[:inner] {
		switch {
		case v.Err != nil:
			return nil, fmt.Errorf("vocab entry %d: %v", i, v.Err)
		case v.Rank != i:
			return nil, fmt.Errorf("vocab entry %d has rank %d", i, v.Rank)
		case i < 256 && !bytes.Equal(v.Bytes, []byte{byte(i)}):
			return nil, fmt.Errorf("rank %d is %q, not the single byte %#02x", i, v.Bytes, i)
		}
		if _, dup := ranks[string(v.Bytes)]; dup {
			return nil, fmt.Errorf("rank %d repeats the bytes %q", i, v.Bytes)
		}
		ranks[string(v.Bytes)] = i
		tokens, types = append(tokens, spell(v.Bytes, &enc)), append(types, tokenNormal)
	}
	if err := uniqueTokens(tokens); err != nil {
		return nil, err
	}
	merges, err := tekkenMerges(t.Vocab[:inner], ranks, &enc)
	if err != nil {
		return nil, err
	}
	ids := specialIDs(t, nSpecial)
	return append([]KV{
		{"tokenizer.ggml.model", "gpt2"},
		{"tokenizer.ggml.pre", "tekken"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", make([]float32, len(tokens))},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.merges", merges},
	}, ids...), nil
}

func specialIDs(t *compat.Tekken, n int) []KV {
	id := func(name string, def int) uint32 {
		if i, ok := t.SpecialID(name); ok && i < n {
			return uint32(i)
		}
		return uint32(def)
	}
	eos := id("</s>", 2)
	return []KV{
		{"tokenizer.ggml.bos_token_id", id("<s>", 1)},
		{"tokenizer.ggml.eos_token_id", eos},
		{"tokenizer.ggml.unknown_token_id", id("<unk>", 0)},
		{"tokenizer.ggml.padding_token_id", id("<pad>", int(eos))},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
	}
}

// tekkenMerges lists, for every rank from 256 on, each split of the token
// into two tokens of the vocab (ordered by their ranks), in the order of
// the merged token's rank. A token with no such split cannot be produced
// by BPE merges: the file is refused.
func tekkenMerges(vocab []compat.TekkenToken, ranks map[string]int, enc *[256]rune) ([]string, error) {
	var out []string
	type pair struct{ l, r int }
	for i := 256; i < len(vocab); i++ {
		b := vocab[i].Bytes
		var local []pair
		for j := 1; j < len(b); j++ {
			l, lok := ranks[string(b[:j])]
			r, rok := ranks[string(b[j:])]
			if lok && rok {
				local = append(local, pair{l, r})
			}
		}
		if len(local) == 0 {
			return nil, fmt.Errorf("rank %d (%q) is not the merge of two tokens of the vocab", i, b)
		}
		slices.SortStableFunc(local, func(a, b pair) int {
			if a.l != b.l {
				return a.l - b.l
			}
			return a.r - b.r
		})
		for _, p := range local {
			out = append(out, spell(vocab[p.l].Bytes, enc)+" "+spell(vocab[p.r].Bytes, enc))
		}
	}
	return out, nil
}

func uniqueTokens(tokens []string) error {
	seen := make(map[string]int, len(tokens))
	for i, s := range tokens {
		if j, dup := seen[s]; dup {
			return fmt.Errorf("tokens %d and %d are both spelled %q (llama.cpp aborts on duplicates)", j, i, s)
		}
		seen[s] = i
	}
	return nil
}
