package chatfmt

import (
	"fmt"
	"strings"
)

// Canonical validates, normalizes and encodes a request as mistral-common
// does for version v, and returns the pieces of the sequence. A request
// mistral-common refuses fails with a *RejectError.
func Canonical(req *Request, v Version) ([]Piece, error) {
	if !known(v.N) {
		return nil, fmt.Errorf("tokenizer version %s: unknown", v)
	}
	if err := validate(req, v); err != nil {
		return nil, err
	}
	return encodeInstruct(normalize(req, v), v)
}

// Text is the sequence as text: specials by name, and for SentencePiece a
// space before every text piece (its dummy prefix), as a chat template
// must write it for the tokenizer to produce the same ids.
func Text(pieces []Piece, v Version) string {
	var b strings.Builder
	for _, p := range pieces {
		if p.Special != "" {
			b.WriteString(p.Special)
			continue
		}
		if v.SPM {
			b.WriteByte(' ')
		}
		b.WriteString(p.Text)
	}
	return b.String()
}

// Render is the canonical text of a conversation (JSON, as ParseRequest
// reads it) for version v.
func Render(conversation []byte, v Version) (string, error) {
	req, err := ParseRequest(conversation)
	if err != nil {
		return "", err
	}
	pieces, err := Canonical(req, v)
	if err != nil {
		return "", err
	}
	return Text(pieces, v), nil
}

// Encoder turns text into ids without parsing specials out of it, and
// names the ids of specials.
type Encoder interface {
	Encode(text string) []int
	SpecialID(name string) (int, error)
}

// Tokens encodes the pieces: each text piece on its own, as
// mistral-common calls tokenizer.encode once per piece.
func Tokens(pieces []Piece, enc Encoder) ([]int, error) {
	var ids []int
	for _, p := range pieces {
		if p.Special == "" {
			ids = append(ids, enc.Encode(p.Text)...)
			continue
		}
		id, err := enc.SpecialID(p.Special)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}
