package jsoneval

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

func FuzzClassify(f *testing.F) {
	schema, err := os.ReadFile("testdata/ticket.schema.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, out := range []string{okTicket, "", "  ", `{"a":`, okTicket + " ok", "```json\n" + okTicket + "\n```", `[1,2,{"x":"\u00e9"}]`, `{"a":1e999}`, "Sure {\"priority\":\"2\"}"} {
		f.Add(out, schema)
	}
	f.Add(`{"a":[true,false,null]}`, []byte(`{"type":"object","properties":{"a":{"type":"array","maxItems":1}}}`))
	f.Add(`{"n":3}`, []byte(`{"properties":{"n":{"multipleOf":0.5,"exclusiveMaximum":3}}}`))
	f.Fuzz(func(t *testing.T, output string, schemaText []byte) {
		s, err := ParseSchema(schemaText)
		if err != nil {
			s = nil
		}
		for _, mode := range []Extract{ExtractNone, ExtractFenced, ExtractFirstObject} {
			r := NewClassifier(s, mode).Classify(output)
			if !r.Category.Known() {
				t.Fatalf("unknown category %q", r.Category)
			}
			if r.Offset < -1 || r.Offset > len(output) {
				t.Fatalf("offset %d outside [0,%d]", r.Offset, len(output))
			}
			if r.Category.Syntax() == (r.Value != nil) && r.Category != CategoryOK {
				t.Fatalf("%s with value %v", r.Category, r.Value)
			}
			if mode == ExtractNone {
				checkAgainstEncodingJSON(t, output, r)
			}
		}
	})
}

// checkAgainstEncodingJSON holds the strict scanner to encoding/json on
// whether the whole output is one JSON object or array.
func checkAgainstEncodingJSON(t *testing.T, output string, r Result) {
	trimmed := bytes.TrimLeft([]byte(output), " \t\r\n")
	container := len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
	valid := container && json.Valid([]byte(output))
	if valid == r.Category.Syntax() {
		t.Fatalf("encoding/json valid=%v, classifier %s (%s) on %q", valid, r.Category, r.Detail, output)
	}
}

func BenchmarkClassify100k(b *testing.B) {
	c := loadTicketSchema(b)
	outputs := make([]string, 100000)
	samples := []string{okTicket, okTicket + " thanks", `{"category":"billing","priority":9,"summary":"x"}`, `{"category":"billing"`}
	for i := range outputs {
		outputs[i] = samples[i%len(samples)]
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range outputs {
			c.Classify(o)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/100k")
}

func BenchmarkEvaluate100k(b *testing.B) {
	s, err := LoadSchema("testdata/ticket.schema.json")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for i := 0; i < 100000; i++ {
		out := okTicket
		if i%10 == 0 {
			out += " thanks"
		}
		buf.WriteString(pred("p", out, ticket("billing", 2), "refund please", "lang:en"))
		buf.WriteByte('\n')
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		_, err := evaluate(b.Context(), Options{Predictions: "p.jsonl", Schema: s}, bytes.NewReader(buf.Bytes()), discard{})
		if err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
