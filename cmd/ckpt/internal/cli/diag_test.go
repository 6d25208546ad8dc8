package cli

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// rawControl returns the first control byte (other than newline and tab) or
// C1/format character in s, or -1.
func rawControl(s string) rune {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x202e:
			return r
		}
	}
	return -1
}

// The escape sequences of issue 16: ESC [2J clears the screen, OSC 0 sets
// the window title; U+009B is a one-character CSI and U+202E reverses text.
const hostile = "\x1b[2J\x1b]0;pwned\x07\u009b\u202e"

func TestDiagEscapesControlBytes(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": "locals {\n  a = \"" + hostile + " é 模型\" + 1\n  b" + hostile + " = 1\n}\n"})
	code, _, errs := specRun(t, "validate", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, errs)
	}
	if r := rawControl(errs); r >= 0 {
		t.Errorf("output holds raw %U:\n%q", r, errs)
	}
	for _, want := range []string{
		`a = "\x1b[2J\x1b]0;pwned\x07\u009b\u202e é 模型" + 1`, // in a string literal
		`b\x1b[2J\x1b]0;pwned\x07\u009b\u202e = 1`,           // in an identifier
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("output lacks %q:\n%s", want, errs)
		}
	}
	_, out, _ := specRun(t, "validate", "--json", dir)
	var v validateJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	for _, d := range v.Diagnostics {
		for _, s := range []string{d.Summary, d.Detail, d.Snippet.Code} {
			if r := rawControl(s); r >= 0 {
				t.Errorf("JSON diagnostic %q holds raw %U: %q", d.Summary, r, s)
			}
		}
	}
}

// TestDiagBinaryFile validates 100 KB of random bytes, then 100 KB of
// random bytes without brackets or quotes (which HCL reports thousands of
// errors for): the output stays short, printable, and counts the rest.
func TestDiagBinaryFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 9))
	random := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	flat := make([]byte, len(random))
	for i, b := range random {
		if strings.IndexByte("([{<\"'$%}])>#/\n", b) >= 0 {
			b = 'x'
		}
		flat[i] = b
		if i%200 == 199 {
			flat[i] = '\n'
		}
	}
	for name, src := range map[string][]byte{"random": random, "flat": flat} {
		t.Run(name, func(t *testing.T) {
			dir := specDir(t, map[string]string{"main.ckpt.hcl": string(src)})
			code, _, errs := specRun(t, "validate", dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			lines := strings.Count(errs, "\n")
			t.Logf("%d lines, %d bytes", lines, len(errs))
			if lines > maxDiags*8 {
				t.Errorf("%d lines of diagnostics, want at most %d", lines, maxDiags*8)
			}
			if r := rawControl(errs); r >= 0 {
				t.Errorf("output holds raw %U", r)
			}
			if name == "flat" && !strings.Contains(errs, "more diagnostics (") {
				t.Errorf("output does not count the diagnostics not shown:\n%s", errs[max(len(errs)-500, 0):])
			}
		})
	}
}

// TestDiagLongLine reports errors on a line of 100 KB: the snippet shows
// about maxLine characters around the range, marked … where cut, with the
// caret under the range.
func TestDiagLongLine(t *testing.T) {
	a, b := strings.Repeat("a", 50_000), strings.Repeat("b", 50_000)
	dir := specDir(t, map[string]string{"main.ckpt.hcl": "locals { x = \"" + a + "\" + 1 + \"" + b + "\" }\n"})
	_, _, errs := specRun(t, "validate", dir)
	lines := strings.Split(errs, "\n")
	snippets := 0
	for i, l := range lines {
		if n := utf8.RuneCountInString(l); n > maxLine+20 {
			t.Errorf("line %d has %d characters", i, n)
		}
		if !strings.HasPrefix(l, "  1 | ") || i+1 == len(lines) {
			continue
		}
		snippets++
		code, carets := []rune(l[len("  1 | "):]), []rune(strings.TrimPrefix(lines[i+1], "    | "))
		col := strings.IndexRune(string(carets), '^')
		if col < 0 || !strings.ContainsRune(string(code), '…') {
			t.Errorf("snippet %q / %q: want a clipped line with a caret", l, lines[i+1])
			continue
		}
		if at := string(code[utf8.RuneCountInString(string(carets[:col])):]); !strings.HasPrefix(at, `"aaa`) && !strings.HasPrefix(at, `"bbb`) {
			t.Errorf("caret under %q, want under a string", at[:min(10, len(at))])
		}
	}
	if snippets != 2 {
		t.Errorf("%d snippets, want 2:\n%s", snippets, errs)
	}
}

// TestSnippetOffsets checks the JSON highlight offsets after escaping and
// clipping: they still delimit the range's text.
func TestSnippetOffsets(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": "locals {\n  x = \"\x1b" + strings.Repeat("a", 300) + "\" + tobool(\"\x1bno\")\n}\n"})
	_, out, _ := specRun(t, "validate", "--json", dir)
	var v validateJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Diagnostics) == 0 || v.Diagnostics[0].Snippet == nil {
		t.Fatalf("no snippet: %s", out)
	}
	s := v.Diagnostics[0].Snippet
	if got := s.Code[s.HighlightStartOffset:s.HighlightEndOffset]; !strings.HasPrefix(got, `"\x1baaa`) || !strings.HasSuffix(got, `…`) {
		t.Errorf("highlight %q, want the clipped escaped string literal", got)
	}
}

// TestDiagStepLimit: a limit crossed while a step body is planned is shown
// as such, at the call.
func TestDiagStepLimit(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": "locals {\n  s = join(\"\", [for i in range(1000): \"" + strings.Repeat("x", 100) + "\"])\n}\n\n" +
		"model \"dir\" \"base\" {\n  path = \".\"\n  id   = join(local.s, range(1000))\n}\n"})
	code, _, errs := specRun(t, "validate", dir)
	if code != 1 || !strings.Contains(errs, ":7:10: error: Spec exceeds a limit") || !strings.Contains(errs, "The call of join is refused") {
		t.Errorf("exit %d:\n%s", code, errs)
	}
}
