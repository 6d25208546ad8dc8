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
)

func fixtures(t *testing.T, parts ...string) string {
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
// canonical text of its conversation.
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
			checkSpecialIDs(t, filepath.Join(filepath.Dir(path), "tokens_"+tag+".json"), conv, v)
		})
	}
}

// spmControl are the control ids of mistral-common's v1-v3 SentencePiece
// models (formats.md 3.2).
var spmControl = map[int]string{1: "<s>", 2: "</s>", 3: "[INST]", 4: "[/INST]", 5: "[TOOL_CALLS]",
	6: "[AVAILABLE_TOOLS]", 7: "[/AVAILABLE_TOOLS]", 8: "[TOOL_RESULTS]", 9: "[/TOOL_RESULTS]"}

// checkSpecialIDs: the control tokens of tokens_vN.json, in order, are the
// special pieces of the canonical sequence.
func checkSpecialIDs(t *testing.T, path string, conv []byte, v chatfmt.Version) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Tokens []int }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, id := range file.Tokens {
		if name, ok := spmControl[id]; ok && (v.N > 1 || id < 3) {
			want = append(want, name)
		}
	}
	req, err := chatfmt.ParseRequest(conv)
	if err != nil {
		t.Fatal(err)
	}
	pieces, err := chatfmt.Canonical(req, v)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pieces {
		if p.Special != "" {
			got = append(got, p.Special)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("control tokens of %s:\n got %v\nwant %v", filepath.Base(path), got, want)
	}
}

func firstDiff(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
