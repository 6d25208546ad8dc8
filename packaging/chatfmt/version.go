package chatfmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Version is a Mistral tokenizer version and the tokenizer family it is
// used with: SentencePiece (SPM) adds a space before every piece of text
// it encodes (its dummy prefix), tekken does not.
type Version struct {
	N   int // 1, 2, 3, 7, 11, 13 or 15
	SPM bool
	// Think is a v13+ tokenizer with [THINK] and [/THINK]: without them
	// mistral-common refuses thinking chunks.
	Think bool
}

// Versions are the instruct tokenizer versions mistral-common knows.
func Versions() []int { return []int{1, 2, 3, 7, 11, 13, 15} }

// String is "v7" for tekken, "v7_spm" for SentencePiece and "v13_think"
// with think tokens, as mistral-common names its chat templates.
func (v Version) String() string {
	s := "v" + strconv.Itoa(v.N)
	if v.SPM {
		s += "_spm"
	}
	if v.Think {
		s += "_think"
	}
	return s
}

// ParseVersion reads "v7", "v7_spm", "v7m1" (SentencePiece with image) or
// "v13_think".
func ParseVersion(s string) (Version, error) {
	m := regexp.MustCompile(`^v(\d+)(_spm|m1|_think)?$`).FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, fmt.Errorf("tokenizer version %q: want vN, vN_spm or vN_think", s)
	}
	n, _ := strconv.Atoi(m[1])
	v := Version{N: n, SPM: m[2] == "_spm" || m[2] == "m1", Think: m[2] == "_think"}
	if v.Think && n < 13 {
		return Version{}, fmt.Errorf("tokenizer version %q: think tokens start at v13", s)
	}
	if !known(n) {
		return Version{}, fmt.Errorf("tokenizer version %q: not one of v1, v2, v3, v7, v11, v13, v15", s)
	}
	if v.SPM && n > 7 {
		return Version{}, fmt.Errorf("tokenizer version %q: SentencePiece tokenizers stop at v7", s)
	}
	return v, nil
}

func known(n int) bool {
	for _, k := range Versions() {
		if k == n {
			return true
		}
	}
	return false
}

// ErrNoTokenizer is returned by DetectVersion for a folder without a
// Mistral tokenizer file.
var ErrNoTokenizer = errors.New("no Mistral tokenizer (tekken.json or tokenizer.model[.vN]) in the folder")

// DetectVersion finds the tokenizer version of a model folder the way
// mistral-common does: tekken.json's config.version, or the suffix of
// tokenizer.model.vN (a bare tokenizer.model is v1, .v7m1 is v7). A folder
// with several tokenizer files is an error. params.json is not read: it
// names no tokenizer version.
func DetectVersion(dir string) (Version, string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Version{}, "", fmt.Errorf("tokenizer version: %w", err)
	}
	var found []string
	for _, e := range entries {
		name := e.Name()
		if isTekken(name) || spmFile.MatchString(name) {
			found = append(found, name)
		}
	}
	switch len(found) {
	case 0:
		return Version{}, "", fmt.Errorf("%s: %w", dir, ErrNoTokenizer)
	case 1:
	default:
		return Version{}, "", fmt.Errorf("%s: several tokenizer files: %s", dir, strings.Join(found, ", "))
	}
	path := filepath.Join(dir, found[0])
	v, err := FileVersion(path)
	return v, path, err
}

// spmFile is a SentencePiece model as mistral-common and mistral-inference
// find one (tokenizer.model.v3, mistral_instruct_tokenizer_240323.model.v3).
var spmFile = regexp.MustCompile(`\.model(\.v\d+(m1)?)?$`)

// isTekken is mistral-common's is_tekken: a .json whose name has "tekken".
func isTekken(name string) bool {
	return strings.Contains(name, "tekken") && strings.HasSuffix(name, ".json")
}

// FileVersion returns the version of one tokenizer file.
func FileVersion(path string) (Version, error) {
	name := filepath.Base(path)
	if strings.HasSuffix(name, ".json") {
		return tekkenVersion(path)
	}
	_, suffix, ok := strings.Cut(name, ".model")
	if !ok {
		return Version{}, fmt.Errorf("%s: not a tokenizer file", path)
	}
	if suffix == "" {
		return Version{N: 1, SPM: true}, nil
	}
	tag := strings.TrimPrefix(suffix, ".")
	if !strings.HasSuffix(tag, "m1") {
		tag += "_spm"
	}
	v, err := ParseVersion(tag)
	if err != nil {
		return Version{}, fmt.Errorf("%s: Unrecognized tokenizer filename: %w", path, err)
	}
	return v, nil
}

// tekkenVersion is tekken.json's config.version, with Think set when the
// file has both think tokens.
func tekkenVersion(path string) (Version, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Version{}, fmt.Errorf("tokenizer version: %w", err)
	}
	var t struct {
		Config struct {
			Version string `json:"version"`
		} `json:"config"`
		Specials []struct {
			TokenStr string `json:"token_str"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return Version{}, fmt.Errorf("%s: %w", path, err)
	}
	v, err := ParseVersion(t.Config.Version)
	if err != nil || v.SPM || v.Think {
		return Version{}, fmt.Errorf("%s: config.version %q is not a tekken version", path, t.Config.Version)
	}
	think := 0
	for _, s := range t.Specials {
		if s.TokenStr == Think || s.TokenStr == EndThink {
			think++
		}
	}
	v.Think = v.N >= 13 && think == 2
	return v, nil
}
