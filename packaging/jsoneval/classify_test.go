package jsoneval

import (
	"strings"
	"testing"
)

func loadTicketSchema(t testing.TB) *Classifier {
	t.Helper()
	s, err := LoadSchema("testdata/ticket.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return NewClassifier(s, ExtractNone)
}

const okTicket = `{"category":"billing","priority":2,"summary":"Refund request"}`

func TestClassifyStrict(t *testing.T) {
	c := loadTicketSchema(t)
	tests := []struct {
		name   string
		output string
		want   Category
		offset int
		path   string
	}{
		{"clean object", okTicket, CategoryOK, -1, ""},
		{"surrounding whitespace is allowed", " \n\t" + okTicket + "\r\n", CategoryOK, -1, ""},
		{"empty output", "", CategoryNoJSONStart, -1, ""},
		{"only whitespace", " \n\t \r\n", CategoryNoJSONStart, -1, ""},
		{"prose first", "Sure! " + okTicket, CategoryNoJSONStart, 0, ""},
		{"top-level scalar", "42", CategoryNoJSONStart, 0, ""},
		{"fenced without extraction", "```json\n" + okTicket + "\n```", CategoryNoJSONStart, 0, ""},
		{"valid prefix, missing brace", `{"category":"billing","priority":2,"summary":"Refund"`, CategoryUnterminated, 53, ""},
		{"open string", `{"category":"bill`, CategoryUnterminated, 17, ""},
		{"open array", `[1, 2`, CategoryUnterminated, 5, ""},
		{"cut after colon", `{"a":`, CategoryUnterminated, 5, ""},
		{"cut literal", `{"a":tru`, CategoryUnterminated, 8, ""},
		{"cut number", `{"a":1.`, CategoryUnterminated, 7, ""},
		{"json then prose", okTicket + " Let me know if you need more.", CategoryTrailing, len(okTicket) + 1, ""},
		{"two objects", okTicket + "\n" + okTicket, CategoryTrailing, len(okTicket) + 1, ""},
		{"single quotes", `{'category':'billing'}`, CategoryInvalid, 1, ""},
		{"trailing comma", `{"a":1,}`, CategoryInvalid, 7, ""},
		{"missing comma", `{"a":1 "b":2}`, CategoryInvalid, 7, ""},
		{"leading zero", `{"a":01}`, CategoryInvalid, 6, ""},
		{"bad escape", `{"a":"\x"}`, CategoryInvalid, 7, ""},
		{"raw newline in string", "{\"a\":\"x\ny\"}", CategoryInvalid, 7, ""},
		{"NaN", `{"a":NaN}`, CategoryInvalid, 5, ""},
		{"comment", `{"a":1 // note` + "\n}", CategoryInvalid, 7, ""},
		{"missing required", `{"category":"billing","priority":2}`, CategoryMissingRequired, -1, ""},
		{"string where integer", `{"category":"billing","priority":"2","summary":"x"}`, CategoryTypeMismatch, -1, "/priority"},
		{"float where integer", `{"category":"billing","priority":2.5,"summary":"x"}`, CategoryTypeMismatch, -1, "/priority"},
		{"array at root", `[]`, CategoryTypeMismatch, -1, ""},
		{"number above maximum", `{"category":"billing","priority":9,"summary":"x"}`, CategoryRange, -1, "/priority"},
		{"number below minimum", `{"category":"billing","priority":0,"summary":"x"}`, CategoryRange, -1, "/priority"},
		{"not in enum", `{"category":"refund","priority":2,"summary":"x"}`, CategoryRange, -1, "/category"},
		{"pattern", `{"category":"billing","priority":2,"summary":"x","order_id":"12"}`, CategoryRange, -1, "/order_id"},
		{"too long", `{"category":"billing","priority":2,"summary":"` + strings.Repeat("x", 81) + `"}`, CategoryRange, -1, "/summary"},
		{"empty string", `{"category":"billing","priority":2,"summary":""}`, CategoryRange, -1, "/summary"},
		{"huge exponent", `{"category":"billing","priority":1e999999,"summary":"x"}`, CategoryRange, -1, "/priority"},
		{"unexpected property", `{"category":"billing","priority":2,"summary":"x","mood":"sad"}`, CategoryUnexpectedProperty, -1, ""},
		{"type beats range", `{"category":"nope","priority":"high","summary":"x"}`, CategoryTypeMismatch, -1, "/priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Classify(tt.output)
			if r.Category != tt.want {
				t.Fatalf("category = %s (%s), want %s", r.Category, r.Detail, tt.want)
			}
			if r.Offset != tt.offset {
				t.Errorf("offset = %d, want %d (%s)", r.Offset, tt.offset, r.Detail)
			}
			if tt.want != CategoryOK && r.Detail == "" {
				t.Error("no detail")
			}
			if !tt.want.Syntax() && tt.want != CategoryOK && tt.path != "" && r.Path != tt.path {
				t.Errorf("path = %q, want %q", r.Path, tt.path)
			}
			if r.Extracted {
				t.Error("extracted in strict mode")
			}
		})
	}
}

func TestClassifyWithoutSchema(t *testing.T) {
	c := NewClassifier(nil, "")
	for _, out := range []string{`{"anything": [1, 2.5e3, true, null, "x\u00e9"]}`, `[]`, `{}`} {
		if r := c.Classify(out); r.Category != CategoryOK {
			t.Errorf("%s: %s (%s)", out, r.Category, r.Detail)
		}
	}
}

func TestClassifyExtract(t *testing.T) {
	s, err := LoadSchema("testdata/ticket.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	fenced, first := NewClassifier(s, ExtractFenced), NewClassifier(s, ExtractFirstObject)
	tests := []struct {
		name      string
		c         *Classifier
		output    string
		want      Category
		extracted bool
	}{
		{"fenced: clean stays clean", fenced, okTicket, CategoryOK, false},
		{"fenced: json fence", fenced, "Here you go:\n```json\n" + okTicket + "\n```\nBye", CategoryOK, true},
		{"fenced: bare fence", fenced, "```\n" + okTicket + "\n```", CategoryOK, true},
		{"fenced: unclosed fence", fenced, "```json\n" + okTicket, CategoryOK, true},
		{"fenced: cut json in fence", fenced, "```json\n{\"a\":\n```", CategoryUnterminated, true},
		{"fenced: invalid json in fence", fenced, "```json\n{'a':1}\n```", CategoryInvalid, true},
		{"fenced: no fence, prose", fenced, "Sure! " + okTicket, CategoryNoJSONStart, false},
		{"fenced: schema still applies", fenced, "```json\n{\"category\":\"billing\"}\n```", CategoryMissingRequired, true},
		{"first_object: prose around", first, "Sure! " + okTicket + " Anything else?", CategoryOK, true},
		{"first_object: skips a bad bracket", first, "Note [see below: " + okTicket, CategoryOK, true},
		{"first_object: nothing", first, "I cannot help with that.", CategoryNoJSONStart, false},
		{"first_object: only whitespace", first, "   ", CategoryNoJSONStart, false},
		{"first_object: cut", first, "Here: {\"category\":", CategoryUnterminated, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.Classify(tt.output)
			if r.Category != tt.want || r.Extracted != tt.extracted {
				t.Fatalf("got %s extracted=%v (%s), want %s extracted=%v", r.Category, r.Extracted, r.Detail, tt.want, tt.extracted)
			}
		})
	}
}

func TestParseExtract(t *testing.T) {
	for in, want := range map[string]Extract{"": ExtractNone, "none": ExtractNone, "fenced": ExtractFenced, "first_object": ExtractFirstObject} {
		if got, ok := ParseExtract(in); !ok || got != want {
			t.Errorf("ParseExtract(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := ParseExtract("regex"); ok {
		t.Error("regex accepted")
	}
}

func TestLoadSchemaErrors(t *testing.T) {
	if _, err := LoadSchema("testdata/missing.json"); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ParseSchema([]byte(`{"type": 3}`)); err == nil {
		t.Error("invalid schema accepted")
	}
	if _, err := ParseSchema([]byte(`{"type":`)); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("truncated schema: %v", err)
	}
	if _, err := ParseSchema([]byte(`{"$ref": "other.json"}`)); err == nil {
		t.Error("remote reference loaded")
	}
}

func TestScanDeepNesting(t *testing.T) {
	c := NewClassifier(nil, "")
	r := c.Classify(strings.Repeat("[", 100000))
	if r.Category != CategoryInvalid || r.Offset != maxDepth {
		t.Fatalf("got %s at %d", r.Category, r.Offset)
	}
	ok := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if r := c.Classify(ok); r.Category != CategoryOK {
		t.Fatalf("100 levels: %s", r.Category)
	}
}
