package tekken_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/dlclark/regexp2"

	"github.com/ckpt-dev/ckpt/packaging/tekken"
)

// corpus trains the test vocabularies and is encoded by the tests.
var corpus = []string{
	"The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!",
	"Le cœur a ses raisons que la raison ne connaît point — Pascal, 1670.",
	"func (t *Tokenizer) Encode(text string) []int {\n\treturn nil\n}\n\n",
	"[INST] What is the weather in Paris? [/INST] It is 22°C and sunny.</s>",
	`{"name": "get_weather", "arguments": {"location": "Paris", "unit": "celsius"}}`,
	"東京の天気は晴れです。 Привет, как дела? مرحبا بالعالم 🙂🚀 naïve café",
	"    indented    with   many spaces\r\n\r\nand CRLF lines   \n  trailing  ",
	"12345 + 67890 = 80235; 3.14159 ≈ π; 1e-10, 0x1F, v1.2.3-rc1",
	"McDonald's iPhone XMLHttpRequest camelCase snake_case kebab-case SCREAMING_CASE",
	"a/b/c\\d http://example.com/path?q=1&r=2 #hash @user $100 50% ^caret ~tilde",
}

// train learns merges byte-level BPE style on corpus pre-tokenized with
// pattern and writes a tekken.json with them.
func train(t testing.TB, merges int, version string, specials []string) string {
	return trainPattern(t, merges, version, specials, tekken.Pattern)
}

// trainPattern is train with another pre-tokenizer pattern in the file.
func trainPattern(t testing.TB, merges int, version string, specials []string, pattern string) string {
	t.Helper()
	re := regexp2.MustCompile(tekken.Pattern, regexp2.Unicode)
	words := map[string]int{}
	for _, text := range corpus {
		for m, _ := re.FindStringMatch(text); m != nil; m, _ = re.FindNextMatch(m) {
			words[m.String()]++
		}
	}
	var seqs [][][]byte
	var counts []int
	for _, w := range sortedKeys(words) {
		var s [][]byte
		for _, b := range []byte(w) {
			s = append(s, []byte{b})
		}
		seqs, counts = append(seqs, s), append(counts, words[w])
	}
	vocab := make([][]byte, 256)
	for i := range vocab {
		vocab[i] = []byte{byte(i)}
	}
	seen := map[string]bool{}
	for len(vocab) < 256+merges {
		pair := bestPair(seqs, counts, seen)
		if pair == "" {
			break
		}
		seen[pair] = true
		vocab = append(vocab, []byte(pair))
		for i, s := range seqs {
			seqs[i] = merge(s, pair)
		}
	}
	return writeTekken(t, vocab, version, specials, pattern)
}

func bestPair(seqs [][][]byte, counts []int, seen map[string]bool) string {
	freq := map[string]int{}
	for i, s := range seqs {
		for j := 0; j+1 < len(s); j++ {
			freq[string(s[j])+string(s[j+1])] += counts[i]
		}
	}
	best := ""
	for _, p := range sortedKeys(freq) {
		if !seen[p] && (best == "" || freq[p] > freq[best]) {
			best = p
		}
	}
	return best
}

func merge(s [][]byte, pair string) [][]byte {
	var out [][]byte
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && string(s[i])+string(s[i+1]) == pair {
			out = append(out, []byte(pair))
			i++
			continue
		}
		out = append(out, s[i])
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type vocabEntry struct {
	Rank       int     `json:"rank"`
	TokenBytes string  `json:"token_bytes"`
	TokenStr   *string `json:"token_str"`
}

type specialEntry struct {
	Rank      int    `json:"rank"`
	TokenStr  string `json:"token_str"`
	IsControl bool   `json:"is_control"`
}

// writeTekken writes a tekken.json with 100 special ids; specials nil
// leaves the list out (the deprecated 20 of v7 and earlier apply).
func writeTekken(t testing.TB, vocab [][]byte, version string, specials []string, pattern string) string {
	t.Helper()
	const numSpecial = 100
	var entries []vocabEntry
	for i, b := range vocab {
		s := string(b)
		entries = append(entries, vocabEntry{Rank: i, TokenBytes: base64.StdEncoding.EncodeToString(b), TokenStr: &s})
	}
	doc := map[string]any{
		"config": map[string]any{"pattern": pattern, "num_vocab_tokens": len(vocab),
			"default_vocab_size": numSpecial + len(vocab), "default_num_special_tokens": numSpecial, "version": version},
		"vocab": entries,
	}
	if specials != nil {
		var list []specialEntry
		for i, s := range specials {
			list = append(list, specialEntry{Rank: i, TokenStr: s, IsControl: true})
		}
		doc["special_tokens"] = list
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tekken.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(t testing.TB, path string) *tekken.Tokenizer {
	t.Helper()
	tok, err := tekken.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
