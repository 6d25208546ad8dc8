package chatfmt_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/spm"
)

func fixtures(t testing.TB, parts ...string) string {
	t.Helper()
	dir := filepath.Join(append([]string{"..", "..", "..", "shared", "fixtures", "mistral-common"}, parts...)...)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return dir
}

// pieceText turns SentencePiece pieces back into text: "▁" is a space,
// <0xNN> pieces are bytes.
func pieceText(pieces string) string {
	s := strings.ReplaceAll(pieces, "▁", " ")
	return regexp.MustCompile(`<0x([0-9A-F]{2})>`).ReplaceAllStringFunc(s, func(m string) string {
		b, _ := strconv.ParseUint(m[3:5], 16, 8)
		return string([]byte{byte(b)})
	})
}

// TestSamplesMatchMistralCommon: every text_vN.txt of the fixture samples
// (mistral-common's own output with its SentencePiece tokenizers) is the
// canonical text of its conversation, and tokens_vN.json its ids.
func TestSamplesMatchMistralCommon(t *testing.T) {
	texts, _ := filepath.Glob(filepath.Join(fixtures(t, "samples"), "*", "text_v*.txt"))
	if len(texts) < 13 {
		t.Fatalf("found %d sample texts", len(texts))
	}
	for _, path := range texts {
		name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			if name == "parallel_calls/text_v2.txt" {
				t.Skip("mistral-common's own test skips it: the text predates one [TOOL_RESULTS] block per tool message")
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			conv, err := os.ReadFile(filepath.Join(filepath.Dir(path), "sample.json"))
			if err != nil {
				t.Fatal(err)
			}
			tag := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "text_"), ".txt")
			v, err := chatfmt.ParseVersion(tag + "_spm")
			if err != nil {
				t.Fatal(err)
			}
			got, err := chatfmt.Render(conv, v)
			if err != nil {
				t.Fatal(err)
			}
			if w := pieceText(strings.TrimRight(string(want), "\n")); got != w {
				t.Errorf("differs at byte %d\ngot:  %q\nwant: %q", firstDiff(got, w), got, w)
			}
			checkTokens(t, filepath.Join(filepath.Dir(path), "tokens_"+tag+".json"), conv, v)
		})
	}
}

// spmModels are mistral-common's SentencePiece models, by version.
var spmModels = map[int]string{1: "tokenizer.model.v1", 2: "mistral_instruct_tokenizer_240216.model.v2",
	3: "mistral_instruct_tokenizer_240323.model.v3"}

// checkTokens: the canonical pieces encoded with mistral-common's own
// SentencePiece model are the ids of tokens_vN.json.
func checkTokens(t *testing.T, path string, conv []byte, v chatfmt.Version) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Tokens []int }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	model, err := spm.Load(filepath.Join(fixtures(t, "tokenizers"), spmModels[v.N]))
	if err != nil {
		t.Fatal(err)
	}
	req, err := chatfmt.ParseRequest(conv)
	if err != nil {
		t.Fatal(err)
	}
	pieces, err := chatfmt.Canonical(req, v)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := chatfmt.Tokens(pieces, model)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, file.Tokens) {
		i := 0
		for i < len(ids) && i < len(file.Tokens) && ids[i] == file.Tokens[i] {
			i++
		}
		t.Errorf("%s: ids differ at %d of %d/%d: got %q, want %q", filepath.Base(path), i, len(ids), len(file.Tokens),
			model.Piece(at(ids, i)), model.Piece(at(file.Tokens, i)))
	}
}

func at(ids []int, i int) int {
	if i < len(ids) {
		return ids[i]
	}
	return -1
}

func firstDiff(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
