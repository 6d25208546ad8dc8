package tekken

import (
	"strings"
)

// Encode returns the ids of text, without BOS or EOS. Special tokens are
// never parsed out of text: "[INST]" is encoded as its bytes. Text that is
// not valid UTF-8 is encoded with U+FFFD in place of the invalid bytes (a
// Python str, which mistral-common encodes, cannot hold them).
func (t *Tokenizer) Encode(text string) []int {
	var ids []int
	t.split(strings.ToValidUTF8(text, "\uFFFD"), func(piece string) { ids = t.encodePiece(ids, []byte(piece)) })
	return ids
}

// split calls piece with each pre-tokenized piece of text.
func (t *Tokenizer) split(text string, piece func(string)) {
	if t.fast {
		splitTekken(text, piece)
		return
	}
	m, err := t.pattern.FindStringMatch(text)
	for err == nil && m != nil {
		piece(m.String())
		m, err = t.pattern.FindNextMatch(m)
	}
}

// encodePiece appends the ids of one pre-tokenized piece: the piece
// itself when it is in the vocabulary, else the merge of adjacent parts
// of lowest rank, repeated (tiktoken's byte_pair_merge).
func (t *Tokenizer) encodePiece(ids []int, piece []byte) []int {
	if r, ok := t.ranks[string(piece)]; ok {
		return append(ids, r+t.numSpecial)
	}
	// bounds[i] is where part i starts; the last entry is len(piece).
	bounds := make([]int, len(piece)+1)
	for i := range bounds {
		bounds[i] = i
	}
	for len(bounds) > 2 {
		best, at := -1, -1
		for i := 0; i+2 < len(bounds); i++ {
			if r, ok := t.ranks[string(piece[bounds[i]:bounds[i+2]])]; ok && (best < 0 || r < best) {
				best, at = r, i
			}
		}
		if at < 0 {
			break
		}
		bounds = append(bounds[:at+1], bounds[at+2:]...)
	}
	for i := 0; i+1 < len(bounds); i++ {
		ids = append(ids, t.ranks[string(piece[bounds[i]:bounds[i+1]])]+t.numSpecial)
	}
	return ids
}

// EncodeSpecials is Encode for a rendered chat template: the names of
// special tokens in text (the longest at each place) become their ids, as
// a runtime's tokenizer reads a template's output. Plain user text must go
// through Encode, where "[INST]" stays text.
func (t *Tokenizer) EncodeSpecials(text string) []int {
	var ids []int
	for len(text) > 0 {
		at, name := t.nextSpecial(text)
		if at < 0 {
			return append(ids, t.Encode(text)...)
		}
		ids = append(ids, t.Encode(text[:at])...)
		ids = append(ids, t.specialID[name])
		text = text[at+len(name):]
	}
	return ids
}

// nextSpecial finds the first special token name in text, the longest
// where several start at one byte.
func (t *Tokenizer) nextSpecial(text string) (int, string) {
	for i := 0; i < len(text); i++ {
		for _, name := range t.byFirst[text[i]] {
			if strings.HasPrefix(text[i:], name) {
				return i, name
			}
		}
	}
	return -1, ""
}
