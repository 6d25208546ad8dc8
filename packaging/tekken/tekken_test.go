package tekken_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/tekken"
)

// python returns a python3 that has the regex module, or skips.
func python(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import regex").Run() == nil {
			return path
		}
	}
	t.Skip("no python3 with the regex module (Debian: python3-regex)")
	return ""
}

// TestEncodeMatchesReference: ids equal those of the Python reference (the
// pattern run by the regex module, tiktoken's byte-pair merge) on every
// corpus text and on texts the vocabulary was not trained on.
func TestEncodeMatchesReference(t *testing.T) {
	t.Run("hand-written splitter", func(t *testing.T) { checkReference(t, train(t, 400, "v7", nil)) })
	// The same pattern spelled differently runs in regexp2.
	t.Run("regexp2", func(t *testing.T) {
		checkReference(t, trainPattern(t, 400, "v7", nil, "(?:"+tekken.Pattern+")"))
	})
}

func checkReference(t *testing.T, path string) {
	tok := load(t, path)
	texts := append(slices.Clone(corpus), "Unseen wörds: Ærøskøbing, ﬁne ligatures, Ⅻ numerals, ½ fractions, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
		"\t\t\n \n\n   x  \u00a0nbsp\u2003em\u3000ideo", "a\u0301 e\u0308 combining marks ǅ title case ʰmodifier",
		strings.Repeat("ab", 300), "", " ", "[INST][/INST]<s></s>")
	py := python(t)
	job, _ := json.Marshal(map[string]any{"tekken": path, "texts": texts})
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("testdata", "tekken_ref.py"))
	cmd.Stdin = bytes.NewReader(job)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference: %v\n%s", err, stderr.String())
	}
	var want [][]int
	if err := json.Unmarshal(out, &want); err != nil || len(want) != len(texts) {
		t.Fatalf("reference output: %v", err)
	}
	merged := 0
	for i, text := range texts {
		got := tok.Encode(text)
		if !slices.Equal(got, want[i]) {
			t.Errorf("%q:\n got %v\nwant %v", text, got, want[i])
		}
		if len(got) < len(text) {
			merged++
		}
	}
	if merged < len(corpus) {
		t.Errorf("only %d texts used merges: the vocabulary does not exercise BPE", merged)
	}
}

// TestSpecialsNeverParsed: "[INST]" in text is bytes; the special is asked
// for by name.
func TestSpecialsNeverParsed(t *testing.T) {
	tok := load(t, train(t, 50, "v7", nil))
	inst, err := tok.SpecialID("[INST]")
	if err != nil || inst != 3 {
		t.Fatalf("[INST] = %d, %v", inst, err)
	}
	for _, id := range tok.Encode("[INST] hi [/INST]</s><s>") {
		if tok.IsSpecial(id) {
			t.Fatalf("plain text gave special id %d", id)
		}
	}
	if _, err := tok.SpecialID("[THINK]"); err == nil || !strings.Contains(err.Error(), "Unknown control token [THINK]") {
		t.Errorf("unknown special: %v", err)
	}
	text, err := tok.Text([]int{1, inst, tok.Encode("hi")[0]})
	if err != nil || !strings.HasPrefix(text, "<s>[INST]h") {
		t.Errorf("text %q, %v", text, err)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	tok := load(t, train(t, 300, "v7", nil))
	for _, text := range corpus {
		b, err := tok.Decode(tok.Encode(text), false)
		if err != nil || string(b) != text {
			t.Errorf("%q: decoded %q, %v", text, b, err)
		}
	}
	if _, err := tok.Decode([]int{tok.VocabSize()}, false); err == nil {
		t.Error("id past the vocabulary: no error")
	}
	if b, _ := tok.Decode([]int{1, 2}, false); len(b) != 0 {
		t.Errorf("specials not dropped: %q", b)
	}
}

// TestEncodeSpecials: a rendered template's special names become ids, the
// text between them is encoded as Encode does.
func TestEncodeSpecials(t *testing.T) {
	tok := load(t, train(t, 100, "v7", nil))
	ids := tok.EncodeSpecials("<s>[INST]hi[/INST]ok</s>")
	want := append(append(append([]int{1, 3}, tok.Encode("hi")...), 4), append(tok.Encode("ok"), 2)...)
	if !slices.Equal(ids, want) {
		t.Errorf("got %v, want %v", ids, want)
	}
	if ids := tok.EncodeSpecials("[AVAILABLE_TOOLS]"); !slices.Equal(ids, []int{5}) {
		t.Errorf("[AVAILABLE_TOOLS]: %v", ids)
	}
}
