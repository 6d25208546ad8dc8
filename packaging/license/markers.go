package license

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
	"unicode"
)

// fingerprint recognizes a license SPDX's corpus lacks by its title and
// phrases that only its text has (normalized: lower case, words only).
type fingerprint struct {
	id      string
	title   string
	phrases []string
}

// fingerprints of the Mistral AI licenses. The Research License's phrases
// come from its text in reference/MRL-0.1.md; the Non-Production License's
// from the passages of MNPL-0.1 that Mistral AI published (§3.2 and the
// notice of §2.2): its full text is not in reference/.
func fingerprints() []fingerprint {
	return []fingerprint{
		{id: "LicenseRef-MRL-0.1", title: "mistral ai research license", phrases: []string{
			"research purposes",
			"derivatives made by or for mistral ai",
			"licensed by mistral ai under the mistral ai research license",
			"you shall only use the mistral models derivatives whether or not created by mistral ai and outputs for research purposes",
		}},
		{id: "LicenseRef-MNPL-0.1", title: "mistral ai non production license", phrases: []string{
			"non production environments",
			"licensed by mistral ai under the mistral ai non production license",
			"for testing research personal or evaluation purposes in non production environments",
			"you shall not supply the mistral models or derivatives in the course of a commercial activity",
		}},
	}
}

// normalize lowers s and keeps its words, one space apart.
func normalize(b []byte) string {
	var sb strings.Builder
	space := true
	for _, r := range string(b) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			sb.WriteRune(unicode.ToLower(r))
			space = false
			continue
		}
		if !space {
			sb.WriteByte(' ')
			space = true
		}
	}
	return " " + strings.TrimSpace(sb.String()) + " "
}

// markerDetections finds the Mistral licenses a text names by title. The
// confidence grows with the share of the license's phrases the text has:
// a bare title (a pointer, a notice) is 0.5, the whole text 1.
func markerDetections(name string, content []byte, how string) []Detection {
	text := normalize(content)
	var out []Detection
	for _, f := range fingerprints() {
		if !strings.Contains(text, " "+f.title+" ") {
			continue
		}
		n := 0
		for _, p := range f.phrases {
			if strings.Contains(text, " "+p+" ") {
				n++
			}
		}
		out = append(out, Detection{File: name, ID: f.id, How: how,
			Confidence: round(0.5 + 0.5*float64(n)/float64(len(f.phrases)))})
	}
	return out
}

var spdxTag = regexp.MustCompile(`(?m)SPDX-License-Identifier:[ \t]*([^\r\n]+)`)

// tagDetections reads SPDX-License-Identifier lines.
func tagDetections(name string, content []byte) []Detection {
	var out []Detection
	for _, m := range spdxTag.FindAllSubmatch(content, -1) {
		for _, id := range exprIDs(string(m[1])) {
			out = append(out, Detection{File: name, ID: id, Confidence: 1, How: HowSPDXTag})
		}
	}
	return out
}

// ckptHeader reads the first line of a LICENSE file ckpt wrote
// ("NAME is distributed under: EXPR").
func ckptHeader(name string, content []byte) []Detection {
	line, _, _ := bytes.Cut(content, []byte("\n"))
	_, expr, ok := strings.Cut(string(line), " is distributed under: ")
	if !ok {
		return nil
	}
	var out []Detection
	for _, id := range exprIDs(expr) {
		out = append(out, Detection{File: name, ID: id, Confidence: 1, How: HowCkptFile})
	}
	return out
}

// exprIDs returns the license ids of an SPDX expression, none if it does
// not parse.
func exprIDs(expr string) []string {
	e, err := Parse(strings.TrimSpace(expr))
	if err != nil {
		return nil
	}
	return e.Licenses()
}

// cardDetections reads the license fields of a model card's front matter.
func cardDetections(name string, readme []byte) []Detection {
	fm, ok := frontMatter(readme)
	if !ok || len(fm["license"]) == 0 {
		return nil
	}
	var out []Detection
	for _, l := range fm["license"] {
		expr := FromCard(l, first(fm["license_name"]))
		if expr == "" {
			expr = fromLink(first(fm["license_link"]))
		}
		ids := exprIDs(expr)
		if len(ids) == 0 {
			out = append(out, Detection{File: name, How: HowCard})
		}
		for _, id := range ids {
			out = append(out, Detection{File: name, ID: id, Confidence: 1, How: HowCard})
		}
	}
	return out
}

// fromLink maps a card's license_link to a Mistral license.
func fromLink(link string) string {
	switch {
	case strings.Contains(link, "MRL-0.1"):
		return "LicenseRef-MRL-0.1"
	case strings.Contains(link, "MNPL-0.1"):
		return "LicenseRef-MNPL-0.1"
	}
	return ""
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// maxFrontMatter caps the front matter read (lines).
const maxFrontMatter = 4096

// frontMatter parses the YAML front matter of a Markdown file: the lines
// between a first line "---" and the next "---" or "...". It keeps the
// top-level keys whose value is a scalar or a list of scalars, unquoted,
// comments dropped; nested maps and multi-line scalars are skipped. It
// reports false when there is no front matter.
func frontMatter(b []byte) (map[string][]string, bool) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	// YAML breaks lines at \n, \r\n and a lone \r alike.
	b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	if !sc.Scan() || strings.TrimRight(sc.Text(), " \t\r") != "---" {
		return nil, false
	}
	out := map[string][]string{}
	key := ""
	for n := 0; sc.Scan() && n < maxFrontMatter; n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "---" || line == "..." {
			return out, true
		}
		if trimmed := strings.TrimLeft(line, " \t"); strings.HasPrefix(trimmed, "- ") || trimmed == "-" {
			item := strings.TrimSpace(strings.TrimPrefix(trimmed, "-"))
			if v := scalar(item); key != "" && v != "" && (item[0] == '\'' || item[0] == '"' || !strings.Contains(item, ": ")) {
				out[key] = append(out[key], v)
			}
			continue
		}
		if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
			key = "" // a nested value or comment ends the list
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			key = ""
			continue
		}
		key = strings.TrimSpace(k)
		if v = scalar(v); v != "" {
			out[key] = append(out[key], v)
			key = ""
		}
	}
	return nil, false
}

// scalar unquotes a one-line YAML scalar and drops a trailing comment; a
// flow collection or block indicator gives "".
func scalar(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	switch s[0] {
	case '\'', '"':
		return quoted(s)
	case '[', '{', '|', '>', '&', '*', '!':
		return ""
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// quoted returns the content of a one-line quoted scalar (” escapes a
// single quote, backslash a double one), "" if it does not close.
func quoted(s string) string {
	q := s[0]
	var sb strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case q == '\'' && c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			sb.WriteByte(c)
			i++
		case q == '"' && c == '\\' && i+1 < len(s):
			sb.WriteByte(s[i+1])
			i++
		case c == q:
			return strings.TrimSpace(sb.String())
		default:
			sb.WriteByte(c)
		}
	}
	return ""
}
