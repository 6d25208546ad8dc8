package chatdata

import "unicode"

// ApproxTokens estimates the token count of s without a tokenizer, close to
// what a BPE vocabulary of 32k–131k entries gives on English text and code:
// every run of letters and digits counts one token per started 4 characters
// (long words split into pieces), every punctuation or symbol character one
// token, every Han, Hiragana, Katakana or Hangul character one token, and
// whitespace nothing. Control tokens ([INST], [TOOL_CALLS]...) are not
// counted.
func ApproxTokens(s string) int {
	n, run := 0, 0
	flush := func() {
		n += (run + 3) / 4
		run = 0
	}
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
			flush()
			n++
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			run++
		case unicode.IsSpace(r):
			flush()
		default:
			flush()
			n++
		}
	}
	flush()
	return n
}
