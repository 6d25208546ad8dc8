package tekken_test

import (
	"testing"
	"unicode/utf8"
)

// FuzzEncode: encoding never panics, never yields a special id, and
// decoding gives back valid UTF-8 text exactly.
func FuzzEncode(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Add("\xff\xfe invalid \xc3")
	tok := load(f, train(f, 300, "v7", nil))
	f.Fuzz(func(t *testing.T, text string) {
		ids := tok.Encode(text)
		for _, id := range ids {
			if tok.IsSpecial(id) || id >= tok.VocabSize() {
				t.Fatalf("id %d", id)
			}
		}
		b, err := tok.Decode(ids, false)
		if err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(text) && string(b) != text {
			t.Fatalf("round trip: %q → %q", text, b)
		}
	})
}

// FuzzParse: no tekken.json makes Parse panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"config": {"pattern": ".+", "default_vocab_size": 1300, "default_num_special_tokens": 1000, "version": "v7"}, "vocab": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if tok, err := parse(data); err == nil {
			tok.Encode("hello world")
		}
	})
}
