// Package spm encodes text with a SentencePiece BPE model
// (tokenizer.model[.vN]) as sentencepiece's bpe_model.cc does: the
// normalizer's dummy prefix and whitespace escape, user-defined pieces
// kept whole, the adjacent pair of highest score merged first (the left
// one on ties), unknown characters as <0xNN> byte pieces. It covers what
// Mistral's models use; unused-piece resegmentation and precompiled
// normalization rules are not implemented.
package spm

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Piece types of sentencepiece's ModelProto.
const (
	typeNormal      = 1
	typeUnknown     = 2
	typeControl     = 3
	typeUserDefined = 4
	typeUnused      = 5
	typeByte        = 6
)

type piece struct {
	text  string
	score float32
	kind  int
}

// Model is a SentencePiece BPE model.
type Model struct {
	pieces       []piece
	ids          map[string]int // normal, user-defined and unused pieces
	reserved     map[string]int // control, unknown and byte pieces
	user         []string       // user-defined pieces
	unk          int
	byteFallback bool
	dummyPrefix  bool
	collapse     bool // remove_extra_whitespaces
	escape       bool
}

// Load reads a tokenizer.model file.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("spm: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Parse decodes a ModelProto: pieces (1), trainer_spec (2: model_type 3,
// unk_id 40, byte_fallback 35) and normalizer_spec (3: add_dummy_prefix 3,
// remove_extra_whitespaces 4, escape_whitespaces 5).
func Parse(data []byte) (*Model, error) {
	m := &Model{ids: map[string]int{}, reserved: map[string]int{}, dummyPrefix: true, collapse: true, escape: true}
	err := fields(data, func(num protowire.Number, v []byte, _ uint64) error {
		switch num {
		case 1:
			return m.addPiece(v)
		case 2:
			return m.trainer(v)
		case 3:
			return fields(v, func(num protowire.Number, _ []byte, x uint64) error {
				switch num {
				case 3:
					m.dummyPrefix = x != 0
				case 4:
					m.collapse = x != 0
				case 5:
					m.escape = x != 0
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("spm: %w", err)
	}
	if len(m.pieces) == 0 {
		return nil, errors.New("spm: no pieces")
	}
	return m, nil
}

func (m *Model) addPiece(b []byte) error {
	p := piece{kind: typeNormal}
	err := fields(b, func(num protowire.Number, v []byte, x uint64) error {
		switch num {
		case 1:
			p.text = string(v)
		case 2:
			p.score = math.Float32frombits(uint32(x))
		case 3:
			p.kind = int(x)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("piece %d: %w", len(m.pieces), err)
	}
	id := len(m.pieces)
	switch p.kind {
	case typeNormal, typeUserDefined, typeUnused:
		m.ids[p.text] = id
	default:
		m.reserved[p.text] = id
	}
	switch p.kind {
	case typeUserDefined:
		m.user = append(m.user, p.text)
	case typeUnknown:
		m.unk = id
	}
	m.pieces = append(m.pieces, p)
	return nil
}

func (m *Model) trainer(b []byte) error {
	return fields(b, func(num protowire.Number, _ []byte, x uint64) error {
		switch {
		case num == 3 && x != 2:
			return fmt.Errorf("trainer_spec: model_type %d is not BPE", x)
		case num == 35:
			m.byteFallback = x != 0
		}
		return nil
	})
}

// fields calls f with each field of a protobuf message: bytes fields
// with their value, varint and fixed32 fields with their number.
func fields(b []byte, f func(num protowire.Number, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x32 uint32
			x32, n = protowire.ConsumeFixed32(b)
			x = uint64(x32)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, v, x); err != nil {
			return err
		}
	}
	return nil
}

// SpecialID is the id of a control piece such as "<s>" or "[INST]".
func (m *Model) SpecialID(name string) (int, error) {
	if id, ok := m.reserved[name]; ok && m.pieces[id].kind == typeControl {
		return id, nil
	}
	return 0, fmt.Errorf("spm: no control piece %s", name)
}

// Piece is the text of an id ("▁the", "<0x0A>", "[INST]").
func (m *Model) Piece(id int) string {
	if id < 0 || id >= len(m.pieces) {
		return ""
	}
	return m.pieces[id].text
}

// normalize applies the normalizer spec: collapse and trim spaces, the
// dummy prefix, spaces as "▁".
func (m *Model) normalize(text string) string {
	if m.collapse {
		text = strings.Join(strings.FieldsFunc(text, func(r rune) bool { return r == ' ' }), " ")
	}
	if text == "" {
		return ""
	}
	if m.dummyPrefix {
		text = " " + text
	}
	if m.escape {
		text = strings.ReplaceAll(text, " ", "▁")
	}
	return text
}

// Encode returns the ids of text without BOS/EOS.
func (m *Model) Encode(text string) []int {
	syms := m.symbols(m.normalize(text))
	for len(syms) > 1 {
		best, at := float32(0), -1
		for i := 0; i+1 < len(syms); i++ {
			if syms[i].frozen || syms[i+1].frozen {
				continue
			}
			id, ok := m.ids[syms[i].text+syms[i+1].text]
			if ok && (at < 0 || m.pieces[id].score > best) {
				best, at = m.pieces[id].score, i
			}
		}
		if at < 0 {
			break
		}
		syms[at].text += syms[at+1].text
		syms = append(syms[:at+1], syms[at+2:]...)
	}
	var ids []int
	for _, s := range syms {
		ids = m.appendID(ids, s.text)
	}
	return ids
}

type symbol struct {
	text   string
	frozen bool // a user-defined piece: never merged
}

// symbols splits normalized text into characters, user-defined pieces whole.
func (m *Model) symbols(text string) []symbol {
	var out []symbol
	for len(text) > 0 {
		if u := m.userPrefix(text); u != "" {
			out = append(out, symbol{text: u, frozen: true})
			text = text[len(u):]
			continue
		}
		_, n := utf8.DecodeRuneInString(text)
		out = append(out, symbol{text: text[:n]})
		text = text[n:]
	}
	return out
}

func (m *Model) userPrefix(text string) string {
	best := ""
	for _, u := range m.user {
		if len(u) > len(best) && strings.HasPrefix(text, u) {
			best = u
		}
	}
	return best
}

// appendID appends the id of a final symbol, or its bytes as <0xNN>
// pieces (else unk) when it is not a piece.
func (m *Model) appendID(ids []int, s string) []int {
	if id, ok := m.reserved[s]; ok {
		return append(ids, id)
	}
	if id, ok := m.ids[s]; ok {
		return append(ids, id)
	}
	if !m.byteFallback {
		return append(ids, m.unk)
	}
	for i := 0; i < len(s); i++ {
		id, ok := m.reserved[fmt.Sprintf("<0x%02X>", s[i])]
		if !ok {
			id = m.unk
		}
		ids = append(ids, id)
	}
	return ids
}
