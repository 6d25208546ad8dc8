package compat

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// SPM is what the rules need from a SentencePiece model file: its pieces
// and the special ids of its trainer spec.
type SPM struct {
	Pieces []string
	// UnkID, BosID, EosID and PadID follow sentencepiece's defaults (0, 1,
	// 2, -1) when the trainer spec does not set them.
	UnkID, BosID, EosID, PadID int
}

// ParseSPM decodes the parts of a sentencepiece ModelProto the rules need:
// pieces (field 1, piece = field 1) and trainer_spec (field 2: unk_id 40,
// bos_id 41, eos_id 42, pad_id 43). Other fields are skipped.
func ParseSPM(data []byte) (*SPM, error) {
	m := &SPM{UnkID: 0, BosID: 1, EosID: 2, PadID: -1}
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return nil, fmt.Errorf("spm: %w", protowire.ParseError(n))
		}
		data = data[n:]
		var val []byte
		if typ == protowire.BytesType && (num == 1 || num == 2) {
			v, n := protowire.ConsumeBytes(data)
			if n < 0 {
				return nil, fmt.Errorf("spm: field %d: %w", num, protowire.ParseError(n))
			}
			val, data = v, data[n:]
		} else {
			n := protowire.ConsumeFieldValue(num, typ, data)
			if n < 0 {
				return nil, fmt.Errorf("spm: field %d: %w", num, protowire.ParseError(n))
			}
			data = data[n:]
			continue
		}
		var err error
		if num == 1 {
			err = m.addPiece(val)
		} else {
			err = m.trainerSpec(val)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(m.Pieces) == 0 {
		return nil, errors.New("spm: no pieces")
	}
	return m, nil
}

func (m *SPM) addPiece(b []byte) error {
	piece := ""
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) {
		if num == 1 && typ == protowire.BytesType {
			piece = string(v)
		}
	})
	if err != nil {
		return fmt.Errorf("spm: piece %d: %w", len(m.Pieces), err)
	}
	m.Pieces = append(m.Pieces, piece)
	return nil
}

func (m *SPM) trainerSpec(b []byte) error {
	err := eachField(b, func(num protowire.Number, typ protowire.Type, _ []byte, x uint64) {
		if typ != protowire.VarintType {
			return
		}
		id := int(int32(x))
		switch num {
		case 40:
			m.UnkID = id
		case 41:
			m.BosID = id
		case 42:
			m.EosID = id
		case 43:
			m.PadID = id
		}
	})
	if err != nil {
		return fmt.Errorf("spm: trainer_spec: %w", err)
	}
	return nil
}

// eachField walks one protobuf message, calling f with bytes fields' values
// and varint fields' numbers.
func eachField(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			f(num, typ, v, 0)
			b = b[n:]
		case protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			f(num, typ, nil, x)
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return nil
}

// ID returns the id of a piece, or -1.
func (m *SPM) ID(piece string) int {
	for i, p := range m.Pieces {
		if p == piece {
			return i
		}
	}
	return -1
}

// spmName matches SentencePiece tokenizer file names: NAME.model or
// NAME.model.vSUFFIX.
func spmName() *regexp.Regexp { return regexp.MustCompile(`\.model(\.v[^.]*)?$`) }

// spmVersion returns the tokenizer version from a file name (.model is v1,
// .model.v3 is v3, .model.v7m1 is v7 with images), or ok=false for an
// unrecognized suffix.
func spmVersion(name string) (version int, image bool, ok bool) {
	m := regexp.MustCompile(`\.model(?:\.v(\d+)(m1)?)?$`).FindStringSubmatch(name)
	if m == nil {
		return 0, false, false
	}
	if m[1] == "" {
		return 1, false, true
	}
	v, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false, false
	}
	switch v {
	case 1, 2, 3, 7, 11, 13, 15:
		return v, m[2] != "", true
	}
	return 0, false, false
}

// EncodeSPM writes a minimal SentencePiece ModelProto: the pieces (the
// first three typed unknown, control, control) and a trainer spec with unk
// 0, bos 1, eos 2, pad -1. Tests and packaging/synth/breaks use it.
func EncodeSPM(pieces []string) []byte {
	var out []byte
	for i, p := range pieces {
		var sp []byte
		sp = protowire.AppendTag(sp, 1, protowire.BytesType)
		sp = protowire.AppendString(sp, p)
		typ := uint64(1)
		if i == 0 {
			typ = 2
		} else if i < 3 || strings.HasPrefix(p, "[") || strings.HasPrefix(p, "<") {
			typ = 3
		}
		sp = protowire.AppendTag(sp, 3, protowire.VarintType)
		sp = protowire.AppendVarint(sp, typ)
		out = protowire.AppendTag(out, 1, protowire.BytesType)
		out = protowire.AppendBytes(out, sp)
	}
	var ts []byte
	for num, v := range []int64{40: 0, 41: 1, 42: 2, 43: -1} {
		if num >= 40 {
			ts = protowire.AppendTag(ts, protowire.Number(num), protowire.VarintType)
			ts = protowire.AppendVarint(ts, uint64(v))
		}
	}
	out = protowire.AppendTag(out, 2, protowire.BytesType)
	return protowire.AppendBytes(out, ts)
}
