// Package tekken is Mistral's tekken tokenizer (tekken.json) as
// mistral-common's Tekkenizer runs it: the pre-tokenizer pattern splits
// text, each piece is encoded by byte-level BPE merging the pair of lowest
// rank first (tiktoken's algorithm), and rank r is id r + the number of
// special tokens. Plain text never yields a special token: specials are
// asked for by name.
package tekken

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
)

// Tokenizer encodes and decodes with one tekken.json.
type Tokenizer struct {
	version    string
	numSpecial int
	specials   []string       // by id
	specialID  map[string]int // by name
	byFirst    [256][]string  // special names by first byte, longest first
	vocab      [][]byte       // by rank
	ranks      map[string]int // bytes → rank
	pattern    *regexp2.Regexp
	fast       bool // pattern is Pattern: splitTekken runs it
}

// deprecatedSpecials are the specials of v1-v7 files without a list.
func deprecatedSpecials() []string {
	return []string{"<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
		"[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]", "[IMG_END]",
		"[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]"}
}

type file struct {
	Config struct {
		Pattern          string `json:"pattern"`
		DefaultVocabSize int    `json:"default_vocab_size"`
		NumSpecial       int    `json:"default_num_special_tokens"`
		Version          string `json:"version"`
	} `json:"config"`
	Vocab []struct {
		Rank       int    `json:"rank"`
		TokenBytes string `json:"token_bytes"`
	} `json:"vocab"`
	Specials *[]struct {
		Rank     int    `json:"rank"`
		TokenStr string `json:"token_str"`
	} `json:"special_tokens"`
}

// Load reads a tekken.json.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tekken: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse builds a tokenizer as Tekkenizer.from_file does: only the first
// default_vocab_size − default_num_special_tokens vocab entries are used,
// missing specials are filled with <SPECIAL_i>.
func Parse(data []byte) (*Tokenizer, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tekken: %w", err)
	}
	c := f.Config
	if !knownVersion(c.Version) {
		return nil, fmt.Errorf("tekken: unknown version %q", c.Version)
	}
	if c.Pattern == "" {
		return nil, errors.New("tekken: config.pattern is empty")
	}
	re, err := regexp2.Compile(c.Pattern, regexp2.Unicode)
	if err != nil {
		return nil, fmt.Errorf("tekken: config.pattern: %w", err)
	}
	re.MatchTimeout = time.Minute
	t := &Tokenizer{version: c.Version, numSpecial: c.NumSpecial, pattern: re, fast: c.Pattern == Pattern,
		specialID: map[string]int{}}
	if err := t.loadSpecials(&f); err != nil {
		return nil, err
	}
	inner := c.DefaultVocabSize - c.NumSpecial
	switch {
	case c.NumSpecial <= 0 || inner <= 0:
		return nil, fmt.Errorf("tekken: default_vocab_size %d with %d special tokens leaves no vocabulary", c.DefaultVocabSize, c.NumSpecial)
	case len(f.Vocab) < inner:
		return nil, fmt.Errorf("tekken: default_vocab_size %d needs %d vocab entries, the file has %d", c.DefaultVocabSize, inner, len(f.Vocab))
	case inner < 256:
		return nil, fmt.Errorf("tekken: %d vocab entries cannot hold the 256 bytes", inner)
	}
	return t, t.loadVocab(&f, inner)
}

func knownVersion(v string) bool {
	for _, k := range []string{"v1", "v2", "v3", "v7", "v11", "v13", "v15"} {
		if v == k {
			return true
		}
	}
	return false
}

func (t *Tokenizer) loadSpecials(f *file) error {
	var names []string
	if f.Specials == nil {
		if t.version != "v1" && t.version != "v2" && t.version != "v3" && t.version != "v7" {
			return fmt.Errorf("tekken: special_tokens missing; required for version %s", t.version)
		}
		names = deprecatedSpecials()
	}
	if f.Specials != nil {
		for i, s := range *f.Specials {
			if s.Rank != i {
				return fmt.Errorf("tekken: special token %d %q has rank %d", i, s.TokenStr, s.Rank)
			}
			names = append(names, s.TokenStr)
		}
	}
	if len(names) > t.numSpecial {
		return fmt.Errorf("tekken: %d special tokens, default_num_special_tokens is %d", len(names), t.numSpecial)
	}
	for i := len(names); i < t.numSpecial; i++ {
		names = append(names, fmt.Sprintf("<SPECIAL_%d>", i))
	}
	for i, n := range names {
		if _, dup := t.specialID[n]; dup {
			return fmt.Errorf("tekken: special token %q appears twice", n)
		}
		t.specialID[n] = i
		if n != "" {
			t.byFirst[n[0]] = append(t.byFirst[n[0]], n)
		}
	}
	for _, list := range t.byFirst {
		slices.SortStableFunc(list, func(a, b string) int { return len(b) - len(a) })
	}
	t.specials = names
	return nil
}

func (t *Tokenizer) loadVocab(f *file, inner int) error {
	t.vocab = make([][]byte, inner)
	t.ranks = make(map[string]int, inner)
	for i, v := range f.Vocab[:inner] {
		b, err := base64.StdEncoding.DecodeString(v.TokenBytes)
		if err != nil {
			return fmt.Errorf("tekken: vocab %d: token_bytes: %w", i, err)
		}
		switch {
		case v.Rank != i:
			return fmt.Errorf("tekken: vocab entry %d has rank %d", i, v.Rank)
		case i < 256 && (len(b) != 1 || b[0] != byte(i)):
			return fmt.Errorf("tekken: vocab entry %d is not the byte %d", i, i)
		case len(b) == 0:
			return fmt.Errorf("tekken: vocab entry %d is empty", i)
		}
		if _, dup := t.ranks[string(b)]; dup {
			return fmt.Errorf("tekken: vocab entry %d repeats the bytes %q", i, b)
		}
		t.ranks[string(b)] = i
		t.vocab[i] = b
	}
	return nil
}

// Version is the file's config.version.
func (t *Tokenizer) Version() string { return t.version }

// NumSpecial is the number of special ids (0..NumSpecial-1).
func (t *Tokenizer) NumSpecial() int { return t.numSpecial }

// VocabSize is the number of ids: specials and ranks.
func (t *Tokenizer) VocabSize() int { return t.numSpecial + len(t.vocab) }

// SpecialID is the id of a special token by name, e.g. "[INST]".
func (t *Tokenizer) SpecialID(name string) (int, error) {
	id, ok := t.specialID[name]
	if !ok {
		return 0, fmt.Errorf("tekken: Unknown control token %s", name)
	}
	return id, nil
}

// IsSpecial reports whether id is a special token.
func (t *Tokenizer) IsSpecial(id int) bool { return id >= 0 && id < t.numSpecial }

// Decode returns the bytes of the ids; specials are written by name when
// keepSpecials is set and dropped otherwise (mistral-common's KEEP and
// IGNORE policies). An id outside the vocabulary is an error.
func (t *Tokenizer) Decode(ids []int, keepSpecials bool) ([]byte, error) {
	var out []byte
	for _, id := range ids {
		switch {
		case id < 0 || id >= t.VocabSize():
			return nil, fmt.Errorf("tekken: id %d outside the vocabulary of %d", id, t.VocabSize())
		case id < t.numSpecial:
			if keepSpecials {
				out = append(out, t.specials[id]...)
			}
		default:
			out = append(out, t.vocab[id-t.numSpecial]...)
		}
	}
	return out, nil
}

// Text is Decode with specials kept, as mistral-common's to_string: bytes
// that are not UTF-8 become U+FFFD.
func (t *Tokenizer) Text(ids []int) (string, error) {
	b, err := t.Decode(ids, true)
	return strings.ToValidUTF8(string(b), "\uFFFD"), err
}
