package tekken

import (
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

func regexpPieces(re *regexp2.Regexp, text string) []string {
	var out []string
	m, _ := re.FindStringMatch(text)
	for m != nil {
		out = append(out, m.String())
		m, _ = re.FindNextMatch(m)
	}
	return out
}

func fastPieces(text string) []string {
	var out []string
	splitTekken(text, func(p string) { out = append(out, p) })
	return out
}

var splitSeeds = []string{
	"Hello World", " hello", "  multiple   spaces  ", "end with space ", "tabs\t\there", "new\nline\r\n\r\nCRLF",
	"ALLCAPS word MixedCase camelCase iPhone McDonald's", "ǅungla ʰa ǈa", "a\u0301bc \u0301x", "东京 ｶﾀｶﾅ",
	"123 4.5e6 ½ Ⅻ", "...!!! ?? /path/to/ ://a//b\n/\r", " !x ?\n\n", "\u00a0\u2003\u3000x\u0085y",
	"x  \n  y", "   ", "\n", "!", "'s 're 'll", "🙂🚀 emoji!", "\x00\x01 ctrl", "a/\n", "  /\n/",
}

// TestSplitMatchesRegexp: the hand-written splitter cuts as regexp2 does.
func TestSplitMatchesRegexp(t *testing.T) {
	re := regexp2.MustCompile(Pattern, regexp2.Unicode)
	for _, s := range splitSeeds {
		if got, want := fastPieces(s), regexpPieces(re, s); !slices.Equal(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
}

// FuzzSplit: on any valid text the splitter gives regexp2's pieces.
func FuzzSplit(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add(s)
	}
	re := regexp2.MustCompile(Pattern, regexp2.Unicode)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		if got, want := fastPieces(s), regexpPieces(re, s); !slices.Equal(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
		}
	})
}
