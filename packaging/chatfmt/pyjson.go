package chatfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// value is a JSON value that keeps the order of object keys, as Python's
// json.loads does (a dict keeps insertion order).
type value struct {
	kind  byte // 'n' null, 'b' bool, 'i' integer, 'f' float, 's' string, 'a' array, 'o' object
	b     bool
	num   string // the literal of an integer; a float is kept in f
	f     float64
	s     string
	items []value
	keys  []string
}

// parseJSON decodes data as Python's json.loads would: top-level scalars
// are accepted, NaN and Infinity too, a repeated key keeps its first
// position and its last value.
func parseJSON(data string) (value, error) {
	dec := json.NewDecoder(strings.NewReader(pyLiterals(data)))
	dec.UseNumber()
	v, err := decodeJSON(dec)
	if err != nil {
		return value{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return value{}, errors.New("extra data after the JSON value")
	}
	return v, nil
}

// pyLiterals maps the bare NaN/Infinity that Python accepts to strings
// that decodeJSON recognises; anything else is left alone.
func pyLiterals(s string) string {
	switch strings.TrimSpace(s) {
	case "NaN", "Infinity", "-Infinity":
		return `"\u0000py:` + strings.TrimSpace(s) + `"`
	}
	return s
}

func decodeJSON(dec *json.Decoder) (value, error) {
	tok, err := dec.Token()
	if err != nil {
		return value{}, err
	}
	switch t := tok.(type) {
	case nil:
		return value{kind: 'n'}, nil
	case bool:
		return value{kind: 'b', b: t}, nil
	case json.Number:
		return numberValue(string(t))
	case string:
		if lit, ok := strings.CutPrefix(t, "\x00py:"); ok {
			f := map[string]float64{"NaN": math.NaN(), "Infinity": math.Inf(1), "-Infinity": math.Inf(-1)}[lit]
			return value{kind: 'f', f: f}, nil
		}
		return value{kind: 's', s: t}, nil
	case json.Delim:
		if t == '[' {
			v := value{kind: 'a'}
			for dec.More() {
				item, err := decodeJSON(dec)
				if err != nil {
					return value{}, err
				}
				v.items = append(v.items, item)
			}
			_, err := dec.Token()
			return v, err
		}
		return decodeObject(dec)
	}
	return value{}, errors.New("unexpected JSON token")
}

func decodeObject(dec *json.Decoder) (value, error) {
	v := value{kind: 'o'}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return value{}, err
		}
		key, _ := tok.(string)
		item, err := decodeJSON(dec)
		if err != nil {
			return value{}, err
		}
		if i := indexOf(v.keys, key); i >= 0 {
			v.items[i] = item
			continue
		}
		v.keys = append(v.keys, key)
		v.items = append(v.items, item)
	}
	_, err := dec.Token()
	return v, err
}

func numberValue(lit string) (value, error) {
	if !strings.ContainsAny(lit, ".eE") {
		n, _ := new(big.Int).SetString(lit, 10) // Python ints: "-0" is 0, no size limit
		return value{kind: 'i', num: n.String()}, nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return value{}, err
	}
	return value{kind: 'f', f: f}, nil
}

func indexOf(keys []string, k string) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}

// get returns the value of key in an object.
func (v value) get(key string) (value, bool) {
	if v.kind != 'o' {
		return value{}, false
	}
	if i := indexOf(v.keys, key); i >= 0 {
		return v.items[i], true
	}
	return value{}, false
}

// dumps serializes v as Python's json.dumps(v, ensure_ascii=False) does:
// ", " and ": " separators, keys in their order, floats as repr().
func dumps(v value) string {
	var b bytes.Buffer
	writeJSON(&b, v)
	return b.String()
}

func writeJSON(b *bytes.Buffer, v value) {
	switch v.kind {
	case 'n':
		b.WriteString("null")
	case 'b':
		b.WriteString(strconv.FormatBool(v.b))
	case 'i':
		b.WriteString(v.num)
	case 'f':
		b.WriteString(pyFloat(v.f))
	case 's':
		writeString(b, v.s)
	case 'a':
		b.WriteByte('[')
		for i, item := range v.items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSON(b, item)
		}
		b.WriteByte(']')
	case 'o':
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeString(b, k)
			b.WriteString(": ")
			writeJSON(b, v.items[i])
		}
		b.WriteByte('}')
	}
}

// writeString quotes s as Python's json module with ensure_ascii=False:
// only '"', '\\' and control characters are escaped.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteString(strconv.FormatInt(int64(r)>>4, 16))
				b.WriteString(strconv.FormatInt(int64(r)&15, 16))
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// pyFloat formats f as Python's float.__repr__.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	digits := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX, shortest
	mant, e, _ := strings.Cut(digits, "e")
	if n, err := strconv.Atoi(e); err == nil {
		exp = n
	}
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		return mant + "e" + sign + pad2(exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
