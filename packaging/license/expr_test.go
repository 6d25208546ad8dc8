package license

import (
	"slices"
	"strings"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
		ids      []string
	}{
		{"apache-2.0", "Apache-2.0", []string{"Apache-2.0"}},
		{"LicenseRef-MRL-0.1", "LicenseRef-MRL-0.1", []string{"LicenseRef-MRL-0.1"}},
		{"MIT OR (Apache-2.0 AND LicenseRef-MRL-0.1)", "MIT OR (Apache-2.0 AND LicenseRef-MRL-0.1)",
			[]string{"MIT", "Apache-2.0", "LicenseRef-MRL-0.1"}},
		{"(MIT AND BSD-3-Clause) AND ISC", "MIT AND BSD-3-Clause AND ISC", []string{"MIT", "BSD-3-Clause", "ISC"}},
		{"MIT AND MIT", "MIT AND MIT", []string{"MIT"}},
		{"MIT OR ISC AND Apache-2.0", "MIT OR (ISC AND Apache-2.0)", []string{"MIT", "ISC", "Apache-2.0"}},
		{"GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0",
			[]string{"GPL-2.0-or-later"}},
		{"DocumentRef-spdx:LicenseRef-x", "DocumentRef-spdx:LicenseRef-x", []string{"DocumentRef-spdx:LicenseRef-x"}},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if got := e.Licenses(); !slices.Equal(got, tt.ids) {
			t.Errorf("Parse(%q).Licenses() = %q, want %q", tt.in, got, tt.ids)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "  ", "Foo-1.0", "MIT AND", "(MIT", "MIT)", "MIT ISC", "AND MIT", "MIT WITH", "mit and isc", "LicenseRef-"} {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) = nil error, want one", in)
			continue
		}
		if in != "" && strings.TrimSpace(in) != "" && !strings.Contains(err.Error(), in) {
			t.Errorf("Parse(%q) error %q does not quote the expression", in, err)
		}
	}
}

func TestAnd(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"Apache-2.0", "LicenseRef-MRL-0.1"}, "Apache-2.0 AND LicenseRef-MRL-0.1"},
		{[]string{"Apache-2.0", "Apache-2.0"}, "Apache-2.0"},
		{[]string{"Apache-2.0 AND MIT", "MIT AND ISC"}, "Apache-2.0 AND MIT AND ISC"},
		{[]string{"MIT OR ISC", "Apache-2.0"}, "(MIT OR ISC) AND Apache-2.0"},
		{[]string{"", "Apache-2.0", " "}, "Apache-2.0"},
		{[]string{"Apache-2.0", "not a license"}, "Apache-2.0 AND (not a license)"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := And(tt.in...); got != tt.want {
			t.Errorf("And(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// The result of And parses back to itself.
	got := And("MIT OR ISC", "LicenseRef-MRL-0.1")
	e, err := Parse(got)
	if err != nil || e.String() != got {
		t.Errorf("Parse(And(...)) = %v, %v; want %q", e, err, got)
	}
}

func TestFromCard(t *testing.T) {
	tests := []struct{ license, name, want string }{
		{"apache-2.0", "", "Apache-2.0"},
		{"other", "mrl", "LicenseRef-MRL-0.1"},
		{"other", "MNPL", "LicenseRef-MNPL-0.1"},
		{"cc-by-nc-4.0", "", "CC-BY-NC-4.0"},
		{"llama3.1", "", "LicenseRef-Llama-3.1"},
		{"openrail++", "", "LicenseRef-OpenRAIL-PlusPlus"},
		{"other", "", ""},
		{"other", "some-custom", ""},
		{"unknown", "", ""},
	}
	for _, tt := range tests {
		if got := FromCard(tt.license, tt.name); got != tt.want {
			t.Errorf("FromCard(%q, %q) = %q, want %q", tt.license, tt.name, got, tt.want)
		}
	}
}

func TestTable(t *testing.T) {
	for _, id := range Known() {
		if _, err := Parse(id); err != nil {
			t.Errorf("table id %s does not parse: %v", id, err)
		}
		tm, _ := Lookup(id)
		if tm.Name == "" || tm.Pointer() == "" {
			t.Errorf("%s: name or pointer missing", id)
		}
		for _, term := range []Term{tm.Commercial, tm.Production, tm.Redistribute, tm.Derivatives} {
			if term.Clause == "" {
				t.Errorf("%s: a term has no clause", id)
			}
		}
	}
	for _, ref := range cardRefs() {
		if _, ok := Lookup(ref); !ok {
			t.Errorf("card mapping to %s, which is not in the table", ref)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"MIT", "MIT OR (Apache-2.0 AND LicenseRef-MRL-0.1)", "GPL-2.0+ WITH Classpath-exception-2.0",
		"((MIT))", "LicenseRef-a AND", "DocumentRef-a:LicenseRef-b OR CC-BY-NC-4.0", "MIT OR ISC AND 0BSD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		_ = And(s, "MIT")
		m := &specv1.Metadata{License: s, Lineage: []specv1.Lineage{{Role: "base", License: s}}}
		_ = Evaluate(m, Policy{Use: UseProduction, Redistribute: true})
		_ = NewReport(m, "")
		_ = Files(m)
		if err != nil {
			return
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, e.String(), err)
		}
		if again.String() != e.String() {
			t.Fatalf("round trip: %q → %q → %q", s, e.String(), again.String())
		}
	})
}
