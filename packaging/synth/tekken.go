package synth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// TekkenPattern is the pre-tokenizer pattern of tekken since Mistral Nemo.
const TekkenPattern = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// deprecatedSpecials are the 20 special tokens of tekken ≤ v7, by rank.
var deprecatedSpecials = [...]string{"<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]",
	"[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]",
	"[IMG_END]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]"}

// TekkenOptions describe a synthetic tekken.json (version v7).
type TekkenOptions struct {
	// VocabSize is default_vocab_size (1280 if 0): specials + BPE ranks.
	VocabSize int
	// NumSpecial is default_num_special_tokens: 1000 as in real files when
	// the vocabulary allows it, else VocabSize − 256.
	NumSpecial int
	// Image adds the image section of a vision model's tokenizer.
	Image bool
}

type tekkenFile struct {
	Config        tekkenConfig    `json:"config"`
	Vocab         []tekkenToken   `json:"vocab"`
	SpecialTokens []tekkenSpecial `json:"special_tokens"`
	Image         *tekkenImage    `json:"image,omitempty"`
}

type tekkenImage struct {
	PatchSize    int `json:"image_patch_size"`
	MaxImageSize int `json:"max_image_size"`
	MergeSize    int `json:"spatial_merge_size"`
}

type tekkenConfig struct {
	Pattern                 string `json:"pattern"`
	NumVocabTokens          int    `json:"num_vocab_tokens"`
	DefaultVocabSize        int    `json:"default_vocab_size"`
	DefaultNumSpecialTokens int    `json:"default_num_special_tokens"`
	Version                 string `json:"version"`
}

type tekkenToken struct {
	Rank       int     `json:"rank"`
	TokenBytes string  `json:"token_bytes"`
	TokenStr   *string `json:"token_str"`
}

type tekkenSpecial struct {
	Rank      int    `json:"rank"`
	TokenStr  string `json:"token_str"`
	IsControl bool   `json:"is_control"`
}

// Tekken returns a valid v7 tekken.json (mistral-common's rules): ranks
// 0..255 are the raw bytes, then unique merges, special_tokens list every
// rank 0..NumSpecial−1 with the 20 deprecated tokens first.
func Tekken(o TekkenOptions) ([]byte, error) {
	if o.VocabSize == 0 {
		o.VocabSize = 1280
	}
	if o.NumSpecial == 0 {
		o.NumSpecial = 1000
		if o.VocabSize-o.NumSpecial < 256 {
			o.NumSpecial = o.VocabSize - 256
		}
	}
	inner := o.VocabSize - o.NumSpecial
	if o.NumSpecial < len(deprecatedSpecials) || inner < 256 {
		return nil, fmt.Errorf("tekken: vocab %d with %d specials leaves %d BPE ranks; need ≥ 20 specials and ≥ 256 ranks (vocab ≥ 276)", o.VocabSize, o.NumSpecial, inner)
	}
	f := tekkenFile{Config: tekkenConfig{Pattern: TekkenPattern, NumVocabTokens: inner,
		DefaultVocabSize: o.VocabSize, DefaultNumSpecialTokens: o.NumSpecial, Version: "v7"}}
	if o.Image {
		f.Image = &tekkenImage{PatchSize: visionPatch, MaxImageSize: visionImage, MergeSize: 1}
	}
	for i, b := range merges(inner) {
		f.Vocab = append(f.Vocab, token(i, b))
	}
	for i := range o.NumSpecial {
		s := fmt.Sprintf("<SPECIAL_%d>", i)
		if i < len(deprecatedSpecials) {
			s = deprecatedSpecials[i]
		}
		f.SpecialTokens = append(f.SpecialTokens, tekkenSpecial{Rank: i, TokenStr: s, IsControl: true})
	}
	return json.Marshal(f)
}

func token(rank int, b []byte) tekkenToken {
	t := tekkenToken{Rank: rank, TokenBytes: base64.StdEncoding.EncodeToString(b)}
	if utf8.Valid(b) {
		s := string(b)
		t.TokenStr = &s
	}
	return t
}

// merges returns n unique byte strings: the 256 bytes, then lower-case
// letter pairs and triples (" t", "th", "the"...), deterministic.
func merges(n int) [][]byte {
	out := make([][]byte, 0, n)
	for i := range 256 {
		out = append(out, []byte{byte(i)})
	}
	const letters = " etaoinshrdlucmfwypvbgkjqxz"
	for l := 2; len(out) < n; l++ {
		idx := make([]int, l)
		for len(out) < n {
			b := make([]byte, l)
			for k, j := range idx {
				b[k] = letters[j]
			}
			out = append(out, b)
			if !next(idx, len(letters)) {
				break
			}
		}
	}
	return out[:n]
}

// next advances a base-m counter; false when it wraps.
func next(idx []int, m int) bool {
	for k := len(idx) - 1; k >= 0; k-- {
		idx[k]++
		if idx[k] < m {
			return true
		}
		idx[k] = 0
	}
	return false
}
