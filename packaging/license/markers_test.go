package license

import (
	"reflect"
	"strings"
	"testing"
)

func TestFrontMatter(t *testing.T) {
	cases := []struct {
		name, in string
		want     map[string][]string
		ok       bool
	}{
		{"scalars", "---\nlicense: apache-2.0\nlicense_name: 'mrl' # comment\n---\nbody", map[string][]string{"license": {"apache-2.0"}, "license_name": {"mrl"}}, true},
		{"list", "---\r\nlicense:\r\n- mit\r\n  - \"apache-2.0\"\r\ntags: [a, b]\r\n---\r\n", map[string][]string{"license": {"mit", "apache-2.0"}}, true},
		{"bom and dots", "\xef\xbb\xbf---\nlicense: other\n...\n", map[string][]string{"license": {"other"}}, true},
		{"nested map skipped", "---\nmodel-index:\n  - name: x\n    results: []\nlicense: mit\n---\n", map[string][]string{"license": {"mit"}}, true},
		{"multi-line quoted skipped", "---\nextra: '# Mistral AI Research License\n\n  If You want\n  - x'\nlicense: other\n---\n", map[string][]string{"license": {"other"}}, true},
		{"quotes escaped", "---\na: 'it''s'\nb: \"say \\\"hi\\\"\"\n---\n", map[string][]string{"a": {"it's"}, "b": {`say "hi"`}}, true},
		{"unterminated", "---\nlicense: mit\n", nil, false},
		{"no front matter", "# Title\n---\nlicense: mit\n---\n", nil, false},
		{"empty", "", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := frontMatter([]byte(c.in))
			if ok != c.ok || (c.ok && !reflect.DeepEqual(got, c.want)) {
				t.Fatalf("frontMatter = %q, %v; want %q, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

// FuzzFrontMatter: model cards are untrusted input. Parsing never panics,
// every value is one trimmed line, and the card detections agree with it.
func FuzzFrontMatter(f *testing.F) {
	for _, s := range []string{"---\nlicense: apache-2.0\n---\n", "---\nlicense:\n- mit\n- 'x''y'\n---\n",
		"---\nlicense: other\nlicense_name: mrl\n...\n", "---\na: \"\\\n---\n", "\xef\xbb\xbf---\r\nlicense: [x]\r\n---"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fm, ok := frontMatter(b)
		if !ok && fm != nil {
			t.Fatal("no front matter but values")
		}
		for k, vs := range fm {
			for _, v := range vs {
				if v == "" || strings.ContainsAny(v, "\r\n") || strings.TrimSpace(v) != v {
					t.Fatalf("key %q: value %q is not one trimmed line", k, v)
				}
			}
		}
		ds := cardDetections("README.md", b)
		if len(ds) > 0 && len(fm["license"]) == 0 {
			t.Fatalf("detections %+v without a license field", ds)
		}
	})
}
