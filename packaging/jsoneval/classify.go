package jsoneval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// maxCandidates bounds how many '{' or '[' positions first_object tries.
const maxCandidates = 64

// Result is the classification of one output.
type Result struct {
	Category Category
	// Extracted is true when the value was pulled out of surrounding text
	// (only with an Extract mode other than none).
	Extracted bool
	// Offset is the byte offset in the output of a syntax failure, or -1.
	Offset int
	// Detail says what is wrong, for people.
	Detail string
	// Path is the JSON pointer of a schema violation ("" for the root).
	Path string
	// Value is the decoded value (numbers as json.Number) when the output
	// parsed, even if it then failed the schema; nil otherwise.
	Value any
}

// Classifier classifies outputs. It is safe for concurrent use.
type Classifier struct {
	schema  *jsonschema.Schema
	extract Extract
}

// NewClassifier returns a classifier; schema may be nil (syntax only).
func NewClassifier(schema *jsonschema.Schema, extract Extract) *Classifier {
	if extract == "" {
		extract = ExtractNone
	}
	return &Classifier{schema: schema, extract: extract}
}

// Classify parses output strictly (see the package doc), then checks it
// against the schema.
func (c *Classifier) Classify(output string) Result {
	b := []byte(output)
	r, start, end := c.locate(b)
	if r.Category != "" {
		return r
	}
	return c.check(b[start:end], r.Extracted)
}

// locate finds the JSON span; a non-empty r.Category is a syntax failure.
func (c *Classifier) locate(b []byte) (r Result, start, end int) {
	strict, s, e := strictSpan(b, 0, len(b))
	if strict.Category == "" || c.extract == ExtractNone {
		return strict, s, e
	}
	if c.extract == ExtractFenced {
		fs, fe, ok := fencedBlock(b)
		if !ok {
			return strict, 0, 0
		}
		r, s, e = strictSpan(b, fs, fe)
		r.Extracted = true
		return r, s, e
	}
	return firstValue(b, strict)
}

// strictSpan checks that b[from:to] is whitespace, one object or array,
// whitespace.
func strictSpan(b []byte, from, to int) (Result, int, int) {
	seg := b[:to]
	i := from
	for i < to && isSpace(b[i]) {
		i++
	}
	if i == to {
		return fail(CategoryNoJSONStart, -1, "output is empty or only whitespace"), 0, 0
	}
	if b[i] != '{' && b[i] != '[' {
		return fail(CategoryNoJSONStart, i, fmt.Sprintf("output begins with %q, want '{' or '['", firstRune(b[i:to]))), 0, 0
	}
	end, err := scanValue(seg, i)
	if err != nil {
		return fail(err.Kind, err.Offset, err.Msg), 0, 0
	}
	j := end
	for j < to && isSpace(b[j]) {
		j++
	}
	if j < to {
		return fail(CategoryTrailing, j, fmt.Sprintf("%d bytes of text after the JSON value", to-j)), 0, 0
	}
	return Result{Offset: -1}, i, end
}

// firstValue finds the first '{' or '[' that starts a complete value.
func firstValue(b []byte, strict Result) (Result, int, int) {
	var first *SyntaxError
	i, tries := 0, 0
	for tries < maxCandidates {
		k := bytes.IndexAny(b[i:], "{[")
		if k < 0 {
			break
		}
		i += k
		tries++
		end, err := scanValue(b, i)
		if err == nil {
			return Result{Offset: -1, Extracted: true}, i, end
		}
		if first == nil {
			first = err
		}
		i++
	}
	if first == nil {
		return fail(CategoryNoJSONStart, -1, "no '{' or '[' anywhere in the output"), 0, 0
	}
	r := fail(first.Kind, first.Offset, first.Msg)
	r.Extracted = true
	return r, 0, 0
}

// fencedBlock returns the content span of the first Markdown code fence
// (``` with an optional info string such as json). An unclosed fence runs
// to the end of the output.
func fencedBlock(b []byte) (int, int, bool) {
	k := bytes.Index(b, []byte("```"))
	if k < 0 {
		return 0, 0, false
	}
	nl := bytes.IndexByte(b[k+3:], '\n')
	if nl < 0 {
		return 0, 0, false
	}
	start := k + 3 + nl + 1
	if e := bytes.Index(b[start:], []byte("```")); e >= 0 {
		return start, start + e, true
	}
	return start, len(b), true
}

func fail(cat Category, off int, msg string) Result {
	return Result{Category: cat, Offset: off, Detail: msg}
}

func firstRune(b []byte) string {
	s := string(b)
	for _, r := range s {
		return string(r)
	}
	return ""
}

// check decodes a syntactically valid span and applies the schema.
func (c *Classifier) check(span []byte, extracted bool) Result {
	d := json.NewDecoder(bytes.NewReader(span))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil { // cannot happen after scanValue
		return Result{Category: CategoryInvalid, Offset: -1, Detail: err.Error(), Extracted: extracted}
	}
	r := Result{Category: CategoryOK, Offset: -1, Value: v, Extracted: extracted}
	if c.schema == nil {
		return r
	}
	if path, ok := saneNumbers(v, ""); !ok {
		r.Category, r.Path, r.Detail = CategoryRange, path, "number outside the range a parser can represent"
		return r
	}
	if err := c.schema.Validate(v); err != nil {
		r.Category, r.Path, r.Detail = schemaCategory(err)
	}
	return r
}

// saneNumbers refuses numbers whose literal is huge (over 400 bytes or an
// exponent over 400), which no consumer parses exactly and which would make
// exact schema arithmetic expensive.
func saneNumbers(v any, path string) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if len(s) > 400 {
			return path, false
		}
		if e := strings.IndexAny(s, "eE"); e >= 0 {
			exp := strings.TrimLeft(s[e+1:], "+-")
			exp = strings.TrimLeft(exp, "0")
			if len(exp) > 3 || (len(exp) == 3 && exp > "400") {
				return path, false
			}
		}
	case []any:
		for i, e := range x {
			if p, ok := saneNumbers(e, fmt.Sprintf("%s/%d", path, i)); !ok {
				return p, false
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if p, ok := saneNumbers(x[k], path+"/"+escapePointer(k)); !ok {
				return p, false
			}
		}
	}
	return "", true
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
