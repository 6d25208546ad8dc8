package spm_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/ckpt-dev/ckpt/packaging/spm"
)

func model(t testing.TB, name string) *spm.Model {
	t.Helper()
	m, err := spm.Load(filepath.Join("..", "..", "..", "shared", "fixtures", "mistral-common", "tokenizers", name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEncode: ids of mistral-common's v3 model, as tokens_v3.json of the
// fixture samples has them.
func TestEncode(t *testing.T) {
	m := model(t, "mistral_instruct_tokenizer_240323.model.v3")
	if got := m.Encode("What's the weather like today"); !slices.Equal(got, []int{2592, 29510, 29481, 1040, 8854, 1505, 3922}) {
		t.Errorf("got %v", got)
	}
	var pieces []string
	for _, id := range m.Encode("a\n\nb") {
		pieces = append(pieces, m.Piece(id))
	}
	if strings.Join(pieces, " ") != "▁a <0x0A> <0x0A> b" {
		t.Errorf("byte fallback: %q", pieces)
	}
	if len(m.Encode("")) != 0 {
		t.Error("empty text has ids")
	}
	if id, err := m.SpecialID("[INST]"); err != nil || id != 3 {
		t.Errorf("[INST] = %d, %v", id, err)
	}
	if _, err := m.SpecialID("▁the"); err == nil {
		t.Error("a normal piece is not a control piece")
	}
	for _, id := range m.Encode("[INST] plain text [/INST]") {
		if id == 3 || id == 4 {
			t.Fatal("control piece parsed from text")
		}
	}
	if m.Piece(-1) != "" || m.Piece(1<<20) != "" {
		t.Error("Piece out of range")
	}
}

func TestParseErrors(t *testing.T) {
	var unigram []byte
	unigram = protowire.AppendTag(unigram, 2, protowire.BytesType)
	unigram = protowire.AppendBytes(unigram, protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), 1))
	for name, data := range map[string][]byte{"empty": nil, "garbage": {0xff, 0xff}, "unigram": unigram} {
		if _, err := spm.Parse(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := spm.Load(filepath.Join(t.TempDir(), "missing.model")); err == nil {
		t.Error("missing file: no error")
	}
}

// FuzzParse: no model bytes make Parse or Encode panic.
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "mistral-common", "tokenizers", "tokenizer.model.v1"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data[:4096])
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := spm.Parse(data); err == nil {
			m.Encode("hello wörld\n")
		}
	})
}
