package jsoneval

import "fmt"

// maxDepth bounds the nesting of arrays and objects the scanner accepts, so
// that hostile outputs cannot exhaust the stack.
const maxDepth = 512

// SyntaxError is a strict JSON syntax failure: Kind is CategoryUnterminated
// when the input ended inside a value that was valid so far (a valid prefix
// with a missing brace, an open string), CategoryInvalid when a byte can
// never continue the value. Offset is the byte offset of the failure in the
// scanned text (for an unterminated value, the length of the text).
type SyntaxError struct {
	Kind   Category
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at byte %d: %s", e.Kind, e.Offset, e.Msg)
}

// scanner is a recursive-descent checker of RFC 8259 JSON. It does not build
// values: it only finds where a value ends or why it cannot.
type scanner struct {
	b     []byte
	depth int
}

// scanValue checks one JSON value starting at b[i] (no leading whitespace)
// and returns the offset just past it.
func scanValue(b []byte, i int) (int, *SyntaxError) {
	s := scanner{b: b}
	return s.value(i)
}

func (s *scanner) eof(msg string) *SyntaxError {
	return &SyntaxError{Kind: CategoryUnterminated, Offset: len(s.b), Msg: msg}
}

func (s *scanner) bad(i int, msg string) *SyntaxError {
	return &SyntaxError{Kind: CategoryInvalid, Offset: i, Msg: msg}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) skipSpace(i int) int {
	for i < len(s.b) && isSpace(s.b[i]) {
		i++
	}
	return i
}

func (s *scanner) value(i int) (int, *SyntaxError) {
	if i >= len(s.b) {
		return i, s.eof("expected a value")
	}
	switch c := s.b[i]; {
	case c == '{':
		return s.container(i, '}', true)
	case c == '[':
		return s.container(i, ']', false)
	case c == '"':
		return s.str(i)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	default:
		return i, s.bad(i, fmt.Sprintf("unexpected %q, want a value", c))
	}
}

// container scans an object (members) or an array (elements) opened at b[i].
func (s *scanner) container(i int, closer byte, members bool) (int, *SyntaxError) {
	if s.depth++; s.depth > maxDepth {
		return i, s.bad(i, fmt.Sprintf("nesting deeper than %d", maxDepth))
	}
	defer func() { s.depth-- }()
	i = s.skipSpace(i + 1)
	if i < len(s.b) && s.b[i] == closer {
		return i + 1, nil
	}
	for {
		var err *SyntaxError
		if members {
			i, err = s.member(i)
		} else {
			i, err = s.value(i)
		}
		if err != nil {
			return i, err
		}
		i = s.skipSpace(i)
		if i >= len(s.b) {
			return i, s.eof(fmt.Sprintf("missing %q", closer))
		}
		switch s.b[i] {
		case closer:
			return i + 1, nil
		case ',':
			i = s.skipSpace(i + 1)
		default:
			return i, s.bad(i, fmt.Sprintf("unexpected %q, want ',' or %q", s.b[i], closer))
		}
	}
}

// member scans `"key" : value`.
func (s *scanner) member(i int) (int, *SyntaxError) {
	if i >= len(s.b) {
		return i, s.eof("expected an object key")
	}
	if s.b[i] != '"' {
		return i, s.bad(i, fmt.Sprintf("unexpected %q, want an object key", s.b[i]))
	}
	i, err := s.str(i)
	if err != nil {
		return i, err
	}
	i = s.skipSpace(i)
	if i >= len(s.b) {
		return i, s.eof("expected ':'")
	}
	if s.b[i] != ':' {
		return i, s.bad(i, fmt.Sprintf("unexpected %q, want ':'", s.b[i]))
	}
	return s.value(s.skipSpace(i + 1))
}

func (s *scanner) str(i int) (int, *SyntaxError) {
	for i++; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			return i + 1, nil
		case c < 0x20:
			return i, s.bad(i, fmt.Sprintf("control character %#x in string", c))
		case c == '\\':
			n, err := s.escape(i)
			if err != nil {
				return n, err
			}
			i = n - 1
		}
	}
	return i, s.eof("unterminated string")
}

// escape checks the escape sequence at b[i] == '\\' and returns the offset past it.
func (s *scanner) escape(i int) (int, *SyntaxError) {
	if i+1 >= len(s.b) {
		return i, s.eof("unterminated escape")
	}
	switch s.b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2, nil
	case 'u':
		for k := i + 2; k < i+6; k++ {
			if k >= len(s.b) {
				return k, s.eof("unterminated \\u escape")
			}
			if !isHex(s.b[k]) {
				return k, s.bad(k, fmt.Sprintf("unexpected %q in \\u escape", s.b[k]))
			}
		}
		return i + 6, nil
	default:
		return i + 1, s.bad(i+1, fmt.Sprintf("invalid escape '\\%c'", s.b[i+1]))
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number(i int) (int, *SyntaxError) {
	if s.b[i] == '-' {
		i++
	}
	if i >= len(s.b) {
		return i, s.eof("unterminated number")
	}
	switch {
	case s.b[i] == '0':
		i++
	case isDigit(s.b[i]):
		i = s.digits(i)
	default:
		return i, s.bad(i, fmt.Sprintf("unexpected %q in number", s.b[i]))
	}
	if i < len(s.b) && s.b[i] == '.' {
		var err *SyntaxError
		if i, err = s.needDigits(i + 1); err != nil {
			return i, err
		}
	}
	if i < len(s.b) && (s.b[i] == 'e' || s.b[i] == 'E') {
		i++
		if i < len(s.b) && (s.b[i] == '+' || s.b[i] == '-') {
			i++
		}
		return s.needDigits(i)
	}
	return i, nil
}

func (s *scanner) digits(i int) int {
	for i < len(s.b) && isDigit(s.b[i]) {
		i++
	}
	return i
}

func (s *scanner) needDigits(i int) (int, *SyntaxError) {
	if i >= len(s.b) {
		return i, s.eof("unterminated number")
	}
	if !isDigit(s.b[i]) {
		return i, s.bad(i, fmt.Sprintf("unexpected %q in number", s.b[i]))
	}
	return s.digits(i), nil
}

func (s *scanner) literal(i int, lit string) (int, *SyntaxError) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(s.b) {
			return i + k, s.eof("unterminated " + lit)
		}
		if s.b[i+k] != lit[k] {
			return i + k, s.bad(i+k, fmt.Sprintf("unexpected %q in %s", s.b[i+k], lit))
		}
	}
	return i + len(lit), nil
}
