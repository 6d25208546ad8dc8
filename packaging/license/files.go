package license

import (
	"fmt"
	"strings"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Files returns the LICENSE and NOTICE files (file name → content) a
// bundle of m must carry, built from its license and lineage. LICENSE names
// every license in the lineage with a pointer to its full text, and appends
// the full text of those anyone may copy (Apache-2.0, CC0-1.0); the texts
// of the others are not ours to ship, the licensor's copy is the
// authoritative one. NOTICE holds the notices the licenses require
// (and the "modified" notice a derivative needs), then m.Notices. NOTICE is
// omitted when there is nothing to say. The output is deterministic.
func Files(m *specv1.Metadata) map[string][]byte {
	out := map[string][]byte{"LICENSE": licenseFile(m)}
	if n := noticeFile(m); len(n) > 0 {
		out["NOTICE"] = n
	}
	return out
}

// used is one license of m and the inputs under it.
type used struct {
	id     string
	inputs []string
}

// usedLicenses lists the licenses of m's lineage, then of m.License, in
// order of first appearance. An unparseable expression is kept verbatim.
func usedLicenses(m *specv1.Metadata) []used {
	var out []used
	idx := map[string]int{}
	add := func(expr, label string) {
		ids := []string{strings.TrimSpace(expr)}
		if e, err := Parse(expr); err == nil {
			ids = e.Licenses()
		}
		for _, id := range ids {
			i, ok := idx[id]
			if !ok {
				i = len(out)
				idx[id] = i
				out = append(out, used{id: id})
			}
			if label != "" && !containsExact(out[i].inputs, label) {
				out[i].inputs = append(out[i].inputs, label)
			}
		}
	}
	for _, l := range m.Lineage {
		if strings.TrimSpace(l.License) != "" {
			add(l.License, Label(l))
		}
	}
	if strings.TrimSpace(m.License) != "" {
		add(m.License, "")
	}
	return out
}

func licenseFile(m *specv1.Metadata) []byte {
	var b strings.Builder
	name := m.ID
	if name == "" {
		name = "This artifact"
	}
	switch {
	case strings.TrimSpace(m.License) != "":
		fmt.Fprintf(&b, "%s is distributed under: %s\n", name, m.License)
	default:
		fmt.Fprintf(&b, "%s carries no license expression of its own.\n", name)
	}
	us := usedLicenses(m)
	if len(us) == 0 {
		b.WriteString("\nNo license information was given for it or its inputs: you may not assume any right to use it.\n")
	}
	for _, u := range us {
		b.WriteString("\n" + licenseEntry(u))
	}
	for _, u := range us {
		if text, ok := Text(u.id); ok {
			fmt.Fprintf(&b, "\n==== Full text of %s ====\n\n%s", u.id, text)
		}
	}
	return []byte(b.String())
}

func licenseEntry(u used) string {
	var b strings.Builder
	t, ok := Lookup(u.id)
	if !ok {
		fmt.Fprintf(&b, "%s\n  ckpt does not know this license: obtain its text from the licensor.\n", u.id)
	} else {
		fmt.Fprintf(&b, "%s (%s)\n  Full text: %s\n", t.ID, t.Name, t.Pointer())
		if _, ok := Text(t.ID); ok {
			b.WriteString("  The full text follows below.\n")
		} else {
			b.WriteString("  A copy of this license must accompany every copy you redistribute.\n")
		}
	}
	if len(u.inputs) > 0 {
		fmt.Fprintf(&b, "  Applies to: %s\n", strings.Join(u.inputs, ", "))
	}
	return b.String()
}

func noticeFile(m *specv1.Metadata) []byte {
	var lines []string
	seen := map[string]bool{}
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			lines = append(lines, s)
		}
	}
	derived := Derived(m)
	for _, u := range usedLicenses(m) {
		t, ok := Lookup(u.id)
		if !ok {
			continue
		}
		add(t.Notice)
		if derived && t.ModifiedNotice {
			add(modifiedNotice(m, t, u))
		}
	}
	for _, n := range m.Notices {
		add(n)
	}
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\n\n") + "\n")
}

func modifiedNotice(m *specv1.Metadata, t Terms, u used) string {
	name := m.ID
	if name == "" {
		name = "This model"
	}
	from := strings.Join(u.inputs, ", ")
	if from == "" {
		from = "its inputs"
	}
	s := fmt.Sprintf("%s was modified from %s (%s)", name, from, t.ID)
	if strings.HasPrefix(t.Name, "Mistral AI ") { // MRL-0.1 §3.1: no passing off as official
		s += "; it is not an official Mistral AI release"
	}
	return s + "."
}

func containsExact(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
