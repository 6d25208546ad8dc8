package compat

import (
	"bufio"
	"bytes"
	"strings"
)

// retirement is a model id's retirement record (formats.md §8).
type retirement struct {
	id, what, date, replacement string
}

func retirements() []retirement {
	return []retirement{
		{"codestral-2501", "deprecated 2025-11-06, retired from Mistral's API", "2025-11-30", "Codestral 25.08 (codestral-2508)"},
		{"pixtral-12b-2409", "deprecated 2025-12-02, retired from Mistral's API", "2025-12-31", "Ministral 3 14B"},
		{"mistral-small-3.1-24b-instruct-2503", "retired by Scaleway", "2025-11-14", "a newer Mistral Small"},
		{"devstral-small-2505", "retired by Scaleway", "2025-11-14", "a newer Devstral Small"},
	}
}

// modelID is an id and where it was found.
type modelID struct{ id, file, path string }

// ids returns the model ids given in the options and found in the folder:
// README.md's base_model front matter, config.json's _name_or_path and
// adapter_config.json's base_model_name_or_path (local paths aside).
func (c *checker) ids() []modelID {
	var out []modelID
	for _, id := range c.opts.IDs {
		if id != "" {
			out = append(out, modelID{id, "", "id"})
		}
	}
	for _, src := range []struct{ file, key string }{{"config.json", "_name_or_path"}, {"adapter_config.json", "base_model_name_or_path"}} {
		if s, ok := c.b.json(src.file).str(src.key); ok && s != "" && !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, ".") {
			out = append(out, modelID{s, src.file, src.key})
		}
	}
	if data, ok := c.b.read("README.md"); ok {
		for _, id := range baseModels(data) {
			out = append(out, modelID{id, "README.md", "base_model"})
		}
	}
	return out
}

// baseModels reads base_model (a string or a YAML list) from a model
// card's front matter.
func baseModels(card []byte) []string {
	s := bufio.NewScanner(bytes.NewReader(card))
	var out []string
	inFront, inList := false, false
	for n := 0; s.Scan(); n++ {
		line := s.Text()
		switch {
		case n == 0 && strings.TrimSpace(line) == "---":
			inFront = true
		case !inFront || strings.TrimSpace(line) == "---":
			return out
		case inList && strings.HasPrefix(strings.TrimSpace(line), "- "):
			out = append(out, unquote(strings.TrimPrefix(strings.TrimSpace(line), "- ")))
		case strings.HasPrefix(line, "base_model:"):
			v := strings.TrimSpace(strings.TrimPrefix(line, "base_model:"))
			inList = v == ""
			if v != "" {
				out = append(out, unquote(v))
			}
		default:
			inList = false
		}
	}
	return out
}

func unquote(s string) string { return strings.Trim(strings.TrimSpace(s), `"'`) }

// normID lower-cases an id and strips its organisation ("mistralai/").
func normID(id string) string {
	id = strings.ToLower(strings.TrimSpace(id))
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	return id
}

func (c *checker) checkIDs() {
	for _, m := range c.ids() {
		n := normID(m.id)
		if strings.HasSuffix(n, "-latest") {
			c.rep.add(IDLatest, m.file, m.path, "model id %q is a moving -latest alias: builds are not reproducible and the license can change under you; pin a dated id such as mistral-small-2501", m.id)
		}
		for _, r := range retirements() {
			if n == r.id {
				c.rep.add(IDRetired, m.file, m.path, "model id %q was %s on %s; move to %s (the weights and license are unaffected)", m.id, r.what, r.date, r.replacement)
			}
		}
	}
}
