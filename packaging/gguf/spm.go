package gguf

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// spmKV converts a SentencePiece ModelProto to llama.cpp's "llama"
// tokenizer: pieces, scores and types (sentencepiece's piece types are
// GGUF's token types), and the trainer spec's special ids.
func spmKV(data []byte) ([]KV, error) {
	var tokens []string
	var scores []float32
	var types []int32
	ids := [4]int64{0, 1, 2, -1} // unk, bos, eos, pad
	err := fields(data, func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			p, s, t, err := spmPiece(v)
			tokens, scores, types = append(tokens, p), append(scores, s), append(types, t)
			return err
		case 2:
			return fields(v, func(num protowire.Number, v []byte) error {
				if num >= 40 && num <= 43 {
					x, n := protowire.ConsumeVarint(v)
					if n < 0 {
						return protowire.ParseError(n)
					}
					ids[num-40] = int64(int32(x))
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		return nil, errors.New("no pieces")
	}
	if err := uniqueTokens(tokens); err != nil {
		return nil, err
	}
	if ids[3] < 0 {
		ids[3] = ids[2]
	}
	for i, id := range ids {
		if id < 0 || id >= int64(len(tokens)) {
			return nil, fmt.Errorf("special id %d (field %d) is outside the %d pieces", id, 40+i, len(tokens))
		}
	}
	return []KV{
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.bos_token_id", uint32(ids[1])},
		{"tokenizer.ggml.eos_token_id", uint32(ids[2])},
		{"tokenizer.ggml.unknown_token_id", uint32(ids[0])},
		{"tokenizer.ggml.padding_token_id", uint32(ids[3])},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
	}, nil
}

// spmPiece decodes a SentencePiece: piece (1), score (2), type (3, NORMAL
// when unset).
func spmPiece(b []byte) (piece string, score float32, typ int32, err error) {
	typ = tokenNormal
	err = fields(b, func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			piece = string(v)
		case 2:
			if len(v) != 4 {
				return errors.New("piece score is not a float")
			}
			score = math.Float32frombits(uint32(v[0]) | uint32(v[1])<<8 | uint32(v[2])<<16 | uint32(v[3])<<24)
		case 3:
			x, n := protowire.ConsumeVarint(v)
			if n < 0 || x < 1 || x > 6 {
				return fmt.Errorf("piece type %d", x)
			}
			typ = int32(x)
		}
		return nil
	})
	return
}

// fields calls f with each field's number and raw value (bytes content,
// varint bytes, or the fixed-size bytes).
func fields(b []byte, f func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return protowire.ParseError(m)
		}
		v := b[:m]
		if typ == protowire.BytesType {
			v, _ = protowire.ConsumeBytes(b)
		}
		if err := f(num, v); err != nil {
			return fmt.Errorf("field %d: %w", num, err)
		}
		b = b[m:]
	}
	return nil
}
