package jsoneval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pythonChecker classifies each stdin line (a JSON string holding one
// output) with Python's json module, strictly (NaN and Infinity refused):
// "ok", "trailing" (a value followed by more text: "Extra data") or "bad".
const pythonChecker = `
import json, sys
def refuse(name):
    raise ValueError(name)
for line in sys.stdin:
    s = json.loads(line)
    try:
        json.loads(s, parse_constant=refuse)
        print("ok")
    except json.JSONDecodeError as e:
        print("trailing" if e.msg == "Extra data" else "bad")
    except ValueError:
        print("bad")
`

// TestScannerAgainstPython holds the strict scanner to CPython's json module
// on every prefix and one-byte mutation of a set of documents.
func TestScannerAgainstPython(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("required by CI: %s", python)
		}
		t.Skipf("skipped: %s is not installed", python)
	}
	corpus := pythonCorpus()
	var in bytes.Buffer
	for _, c := range corpus {
		b, _ := json.Marshal(c)
		in.Write(append(b, '\n'))
	}
	cmd := exec.Command(python, "-c", pythonChecker)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	cl := NewClassifier(nil, ExtractNone)
	mismatches, n := 0, 0
	for i := 0; sc.Scan(); i++ {
		n++
		r := cl.Classify(corpus[i])
		trimmed := strings.TrimLeft(corpus[i], " \t\r\n")
		scalar := trimmed != "" && trimmed[0] != '{' && trimmed[0] != '['
		want := sc.Text()
		var got string
		switch {
		case r.Category == CategoryOK:
			got = "ok"
		case r.Category == CategoryTrailing:
			got = "trailing"
		default:
			got = "bad"
		}
		if scalar && r.Category == CategoryNoJSONStart {
			continue // top-level scalars are refused by policy, Python takes them
		}
		if got != want {
			mismatches++
			if mismatches < 10 {
				t.Errorf("%q: scanner %s (%s), python %s", corpus[i], r.Category, r.Detail, want)
			}
		}
	}
	if n != len(corpus) || n < 1000 {
		t.Fatalf("python judged %d of %d outputs", n, len(corpus))
	}
}

func pythonCorpus() []string {
	docs := []string{
		`{"category":"billing","priority":2,"summary":"Refund \"now\" \u00e9\\/","tags":["a",1,-0.5e+3,true,false,null]}`,
		`[{"a":{"b":[[],{}]}},12.0E-2, "x\ty"]`,
		` {"nested": {"deep": [1, 2, {"k": "v"}]}} `,
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	repl := []string{"", "x", ",", "}", "]", "\"", ":", "0", "-", "\\", " ", "\n", "\x01", "{", "[", "'", "e", "."}
	for _, d := range docs {
		for i := 0; i <= len(d); i++ {
			add(d[:i])
			add(d[:i] + " trailing")
			for _, r := range repl {
				if i < len(d) {
					add(d[:i] + r + d[i+1:])
				}
			}
		}
	}
	return out
}
