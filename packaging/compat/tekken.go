package compat

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Tekken is a parsed tekken.json (mistral-common's Tekkenizer file).
type Tekken struct {
	Config        TekkenConfig
	Vocab         []TekkenToken
	SpecialTokens []TekkenSpecial
	// HasSpecials is true when the file has a special_tokens list.
	HasSpecials bool
	// Image is the image section ("image", or the legacy "multimodal").
	Image *TekkenImage
	// LegacyMultimodal is true when the image section is named "multimodal".
	LegacyMultimodal bool
	// ModelSettings is true when a model_settings_builder section exists.
	ModelSettings bool
}

// TekkenConfig is tekken.json's "config" object.
type TekkenConfig struct {
	Pattern                 string `json:"pattern"`
	NumVocabTokens          int    `json:"num_vocab_tokens"`
	DefaultVocabSize        int    `json:"default_vocab_size"`
	DefaultNumSpecialTokens int    `json:"default_num_special_tokens"`
	Version                 string `json:"version"`
}

// TekkenToken is one vocab entry.
type TekkenToken struct {
	Rank  int
	Bytes []byte
	// Keys are the entry's JSON keys, sorted, to check the exact key set.
	Keys []string
	// Err is set when the entry cannot be decoded (bad base64, wrong types).
	Err error
}

// TekkenSpecial is one special_tokens entry.
type TekkenSpecial struct {
	Rank      int    `json:"rank"`
	TokenStr  string `json:"token_str"`
	IsControl bool   `json:"is_control"`
}

// TekkenImage is tekken.json's image section.
type TekkenImage struct {
	ImagePatchSize   int `json:"image_patch_size"`
	MaxImageSize     int `json:"max_image_size"`
	SpatialMergeSize int `json:"spatial_merge_size"`
}

// tekkenVersions returns the versions mistral-common's Tekkenizer accepts.
func tekkenVersions() []string { return []string{"v1", "v2", "v3", "v7", "v11", "v13", "v15"} }

// DeprecatedSpecials are the special tokens of a tekken file (≤ v7) without
// a special_tokens list, by rank.
func DeprecatedSpecials() []string {
	return []string{"<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]",
		"[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>",
		"[IMG_BREAK]", "[IMG_END]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]",
		"[/SYSTEM_PROMPT]", "[TOOL_CONTENT]"}
}

// ParseTekken decodes a tekken.json file. It fails only when the file is not
// the expected JSON shape; content rules are checked separately.
func ParseTekken(data []byte) (*Tekken, error) {
	var raw struct {
		Config        *TekkenConfig    `json:"config"`
		Vocab         json.RawMessage  `json:"vocab"`
		SpecialTokens *[]TekkenSpecial `json:"special_tokens"`
		Image         *TekkenImage     `json:"image"`
		Multimodal    *TekkenImage     `json:"multimodal"`
		ModelSettings json.RawMessage  `json:"model_settings_builder"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("tekken: %w", err)
	}
	if raw.Config == nil {
		return nil, fmt.Errorf("tekken: no config object")
	}
	t := &Tekken{Config: *raw.Config, Image: raw.Image, ModelSettings: len(raw.ModelSettings) > 0 && string(raw.ModelSettings) != "null"}
	if raw.SpecialTokens != nil {
		t.HasSpecials, t.SpecialTokens = true, *raw.SpecialTokens
	}
	if raw.Multimodal != nil {
		t.LegacyMultimodal = true
		if t.Image == nil {
			t.Image = raw.Multimodal
		}
	}
	var err error
	if t.Vocab, err = parseVocab(raw.Vocab); err != nil {
		return nil, err
	}
	return t, nil
}

// fastToken is a vocab entry with exactly the expected keys.
type fastToken struct {
	Rank       *int            `json:"rank"`
	TokenBytes *[]byte         `json:"token_bytes"`
	TokenStr   json.RawMessage `json:"token_str"`
}

// parseVocab decodes the vocab in one pass when every entry has exactly
// the expected keys and types (real files), else entry by entry to tell
// what is wrong with each.
func parseVocab(raw json.RawMessage) ([]TekkenToken, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var fast []fastToken
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fast); err == nil && complete(fast) {
		out := make([]TekkenToken, len(fast))
		keys := []string{"rank", "token_bytes", "token_str"}
		for i, f := range fast {
			out[i] = TekkenToken{Rank: *f.Rank, Bytes: *f.TokenBytes, Keys: keys}
		}
		return out, nil
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("tekken: vocab: %w", err)
	}
	out := make([]TekkenToken, len(entries))
	for i, m := range entries {
		out[i] = parseTekkenToken(m)
	}
	return out, nil
}

func complete(fast []fastToken) bool {
	for _, f := range fast {
		if f.Rank == nil || f.TokenBytes == nil || len(f.TokenStr) == 0 {
			return false
		}
	}
	return true
}

func parseTekkenToken(m json.RawMessage) TekkenToken {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(m, &fields); err != nil {
		return TekkenToken{Err: err}
	}
	tok := TekkenToken{Rank: -1}
	for k := range fields {
		tok.Keys = append(tok.Keys, k)
	}
	sort.Strings(tok.Keys)
	if r, ok := fields["rank"]; ok {
		if err := json.Unmarshal(r, &tok.Rank); err != nil {
			tok.Err = fmt.Errorf("rank: %w", err)
		}
	}
	var b64 string
	if raw, ok := fields["token_bytes"]; ok {
		if err := json.Unmarshal(raw, &b64); err != nil {
			tok.Err = fmt.Errorf("token_bytes: %w", err)
		} else if tok.Bytes, err = base64.StdEncoding.DecodeString(b64); err != nil {
			tok.Err = fmt.Errorf("token_bytes: %w", err)
		}
	}
	return tok
}

// versionNumber returns 7 for "v7", or -1 when the version is unknown.
func (t *Tekken) versionNumber() int {
	for _, v := range tekkenVersions() {
		if v == t.Config.Version {
			n, _ := strconv.Atoi(strings.TrimPrefix(v, "v"))
			return n
		}
	}
	return -1
}

// Specials returns the special token strings by id (position), using the
// deprecated list when the file has none.
func (t *Tekken) Specials() []string {
	if !t.HasSpecials {
		return DeprecatedSpecials()
	}
	out := make([]string, len(t.SpecialTokens))
	for i, s := range t.SpecialTokens {
		out[i] = s.TokenStr
	}
	return out
}

// SpecialID returns the id of a special token, looked up by rank as
// mistral-common does.
func (t *Tekken) SpecialID(name string) (int, bool) {
	if !t.HasSpecials {
		for i, s := range DeprecatedSpecials() {
			if s == name {
				return i, true
			}
		}
		return 0, false
	}
	for _, s := range t.SpecialTokens {
		if s.TokenStr == name {
			return s.Rank, true
		}
	}
	return 0, false
}

// inner is the number of BPE ranks the tokenizer uses.
func (t *Tekken) inner() int { return t.Config.DefaultVocabSize - t.Config.DefaultNumSpecialTokens }

// checkTekken applies every tekken.json validation rule of mistral-common.
func checkTekken(t *Tekken, file string, rep *report) {
	ver := t.versionNumber()
	if ver < 0 {
		rep.add(TekkenVersion, file, "config.version", "unknown tekken version %q; use one of %s",
			t.Config.Version, strings.Join(tekkenVersions(), ", "))
	}
	if !t.HasSpecials && ver > 7 {
		rep.add(TekkenSpecialMissing, file, "special_tokens",
			"tekken %s needs a special_tokens list (only v7 and older fall back to the deprecated 20 tokens)", t.Config.Version)
	}
	if t.LegacyMultimodal && ver > 11 {
		rep.add(TekkenMultimodal, file, "multimodal",
			"the legacy \"multimodal\" section is refused for tekken %s; rename it to \"image\"", t.Config.Version)
	}
	if t.ModelSettings && ver >= 0 && ver < 15 {
		rep.add(TekkenModelSettings, file, "model_settings_builder",
			"model_settings_builder needs tekken v15 or later, file is %s", t.Config.Version)
	}
	if strings.TrimSpace(t.Config.Pattern) == "" {
		rep.add(TekkenPattern, file, "config.pattern", "the pre-tokenizer pattern is empty")
	}
	checkTekkenSizes(t, file, rep)
	checkTekkenSpecials(t, file, rep)
	checkTekkenVocab(t, file, rep)
}

func checkTekkenSizes(t *Tekken, file string, rep *report) {
	c := t.Config
	if c.DefaultNumSpecialTokens < 0 || c.DefaultVocabSize <= c.DefaultNumSpecialTokens {
		rep.add(TekkenVocabSize, file, "config.default_vocab_size",
			"default_vocab_size %d must exceed default_num_special_tokens %d", c.DefaultVocabSize, c.DefaultNumSpecialTokens)
		return
	}
	if c.DefaultVocabSize > len(t.Vocab)+c.DefaultNumSpecialTokens {
		rep.add(TekkenVocabSize, file, "config.default_vocab_size",
			"default_vocab_size %d exceeds %d vocab entries + %d special tokens", c.DefaultVocabSize, len(t.Vocab), c.DefaultNumSpecialTokens)
	}
}

func checkTekkenSpecials(t *Tekken, file string, rep *report) {
	if !t.HasSpecials {
		return
	}
	if n := len(t.SpecialTokens); n > t.Config.DefaultNumSpecialTokens {
		rep.add(TekkenSpecialCount, file, "special_tokens",
			"%d special tokens but default_num_special_tokens is %d", n, t.Config.DefaultNumSpecialTokens)
	}
	seen := map[string]int{}
	for i, s := range t.SpecialTokens {
		if j, dup := seen[s.TokenStr]; dup {
			rep.add(TekkenSpecialDuplicate, file, fmt.Sprintf("special_tokens[%d].token_str", i),
				"special token %q appears at %d and %d", s.TokenStr, j, i)
		}
		seen[s.TokenStr] = i
		if s.Rank != i {
			rep.add(TekkenSpecialRank, file, fmt.Sprintf("special_tokens[%d].rank", i),
				"special token %q has rank %d at position %d; mistral-common decodes by position and encodes by rank, so the ids silently disagree", s.TokenStr, s.Rank, i)
		}
	}
}

// checkTekkenVocab checks the used vocab entries: keys, ranks, raw bytes,
// uniqueness. It reports at most a few findings per rule.
func checkTekkenVocab(t *Tekken, file string, rep *report) {
	inner := t.inner()
	if inner < 0 {
		return
	}
	if len(t.Vocab) < inner {
		rep.add(TekkenVocabSize, file, "vocab", "%d vocab entries, fewer than default_vocab_size - default_num_special_tokens = %d", len(t.Vocab), inner)
		inner = len(t.Vocab)
	}
	lim := map[Code]int{}
	add := func(code Code, i int, key, format string, a ...any) {
		if lim[code]++; lim[code] <= 3 {
			path := fmt.Sprintf("vocab[%d]", i)
			if key != "" {
				path += "." + key
			}
			rep.add(code, file, path, format, a...)
		}
	}
	seen := make(map[string]int, inner)
	for i := 0; i < inner; i++ {
		v := t.Vocab[i]
		if v.Err != nil || strings.Join(v.Keys, ",") != "rank,token_bytes,token_str" {
			add(TekkenVocabKeys, i, "", "entry %d must have exactly rank, token_bytes (base64) and token_str (err: %v)", i, v.Err)
			continue
		}
		if v.Rank != i {
			add(TekkenVocabRank, i, "rank", "entry %d has rank %d; ranks must be 0..%d in order", i, v.Rank, inner-1)
		}
		if i < 256 && !bytes.Equal(v.Bytes, []byte{byte(i)}) {
			add(TekkenByteTokens, i, "token_bytes", "entry %d must be the single byte 0x%02x, got %q", i, i, v.Bytes)
		}
		if j, dup := seen[string(v.Bytes)]; dup {
			add(TekkenDuplicateBytes, i, "token_bytes", "entry %d repeats the bytes of entry %d (%q)", i, j, v.Bytes)
		} else {
			seen[string(v.Bytes)] = i
		}
	}
}

// requiredSpecials returns the special tokens an instruct tokenizer version
// needs (mistral-common instruct.py); spm v2 has no FIM tokens.
func requiredSpecials(version int, spm bool) []string {
	var req []string
	if version >= 2 {
		req = append(req, "<s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
			"[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]")
	}
	if version >= 3 || (version == 2 && !spm) {
		req = append(req, "[PREFIX]", "[SUFFIX]")
	}
	if version >= 7 {
		req = append(req, "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]")
	}
	if version >= 11 {
		req = append(req, "[ARGS]", "[CALL_ID]")
	}
	if version >= 15 {
		req = append(req, "[MODEL_SETTINGS]", "[/MODEL_SETTINGS]")
	}
	return req
}
