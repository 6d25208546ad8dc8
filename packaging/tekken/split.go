package tekken

import (
	"unicode"
	"unicode/utf8"
)

// Pattern is the pre-tokenizer of every tekken.json since Nemo. A file
// with exactly this pattern is split by splitTekken, which gives the
// pieces regexp2 gives (FuzzSplit checks it) about twenty times faster;
// any other pattern runs in regexp2.
const Pattern = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// class bits of one rune, as the pattern's character classes see it.
type class uint8

const (
	cLetter class = 1 << iota
	cNumber
	cSpace // \s
	cNewline
	cUpper // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
	cLower // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
	cSlash
	cBlank // ' '
)

func classOf(r rune) class {
	var c class
	switch {
	case r == ' ':
		return cSpace | cBlank
	case r == '\r' || r == '\n':
		return cSpace | cNewline
	case r == '/':
		return cSlash
	case r < utf8.RuneSelf:
		switch {
		case 'a' <= r && r <= 'z':
			return cLetter | cLower
		case 'A' <= r && r <= 'Z':
			return cLetter | cUpper
		case '0' <= r && r <= '9':
			return cNumber
		case r == '\t' || r == '\v' || r == '\f':
			return cSpace
		}
		return 0
	}
	if unicode.IsSpace(r) {
		c |= cSpace
	}
	if unicode.IsNumber(r) {
		c |= cNumber
	}
	mark := unicode.IsMark(r)
	if unicode.IsLetter(r) {
		c |= cLetter
	}
	if mark || unicode.In(r, unicode.Lu, unicode.Lt, unicode.Lm, unicode.Lo) {
		c |= cUpper
	}
	if mark || unicode.In(r, unicode.Ll, unicode.Lm, unicode.Lo) {
		c |= cLower
	}
	return c
}

// splitter runs the alternatives of Pattern over the classes of a text's
// runes, with the backtracking regexp2 (and Python's regex) would do.
type splitter []class

func (s splitter) has(i int, c class) bool { return i < len(s) && s[i]&c != 0 }

// run is the end of the run of runes of class c from i.
func (s splitter) run(i int, c class) int {
	for i < len(s) && s[i]&c != 0 {
		i++
	}
	return i
}

// prefix is [^\r\n\p{L}\p{N}].
func (s splitter) prefix(i int) bool {
	return i < len(s) && s[i]&(cNewline|cLetter|cNumber) == 0
}

// punct is [^\s\p{L}\p{N}].
func (s splitter) punct(i int) bool {
	return i < len(s) && s[i]&(cSpace|cLetter|cNumber) == 0
}

// upperLower is U*W+ from i, giving back U runes until a W can start.
func (s splitter) upperLower(i int) int {
	for j := s.run(i, cUpper); j >= i; j-- {
		if s.has(j, cLower) {
			return s.run(j, cLower)
		}
	}
	return -1
}

// next is the end of the piece that starts at i.
func (s splitter) next(i int) int {
	if s.prefix(i) {
		if e := s.upperLower(i + 1); e >= 0 {
			return e
		}
	}
	if e := s.upperLower(i); e >= 0 {
		return e
	}
	if s.prefix(i) && s.has(i+1, cUpper) {
		return s.run(s.run(i+1, cUpper), cLower)
	}
	if s.has(i, cUpper) {
		return s.run(s.run(i, cUpper), cLower)
	}
	if s.has(i, cNumber) {
		return i + 1
	}
	if s.has(i, cBlank) && s.punct(i+1) {
		return s.run(s.runPunct(i+1), cNewline|cSlash)
	}
	if s.punct(i) {
		return s.run(s.runPunct(i), cNewline|cSlash)
	}
	return s.space(i)
}

func (s splitter) runPunct(i int) int {
	for s.punct(i) {
		i++
	}
	return i
}

// space is \s*[\r\n]+ | \s+(?!\S) | \s+ at i.
func (s splitter) space(i int) int {
	end := s.run(i, cSpace)
	for j := end - 1; j >= i; j-- {
		if s[j]&cNewline != 0 {
			return j + 1
		}
	}
	switch {
	case end == len(s) || end-i == 1:
		return end
	}
	return end - 1
}

// splitTekken calls piece with each piece of text that Pattern matches.
func splitTekken(text string, piece func(string)) {
	s := make(splitter, 0, len(text))
	offs := make([]int, 0, len(text)+1)
	for off, r := range text {
		s = append(s, classOf(r))
		offs = append(offs, off)
	}
	offs = append(offs, len(text))
	for i := 0; i < len(s); {
		e := s.next(i)
		piece(text[offs[i]:offs[e]])
		i = e
	}
}
