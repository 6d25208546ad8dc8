package jsoneval

import (
	"sort"
	"strings"
)

// maxExamples is how many prediction ids a cluster lists.
const maxExamples = 5

// Untagged is the tag cluster of failures without tags.
const Untagged = "(untagged)"

// Cluster is a group of failures sharing a key.
type Cluster struct {
	Key   string  `json:"key"`
	Count int     `json:"count"`
	Share float64 `json:"share"` // of all failures
	// Examples are the ids of the first failures in the group.
	Examples []string `json:"examples"`
}

// Clusters groups failures by category, by input-length bucket and by tag;
// each list is sorted largest first (ties by key).
type Clusters struct {
	Failures      int       `json:"failures"`
	ByCategory    []Cluster `json:"by_category"`
	ByInputLength []Cluster `json:"by_input_length"`
	ByTag         []Cluster `json:"by_tag"`
	// ByInputTokens buckets the input length in the model's tokens, as
	// the runtime counted them (predictions that carry prompt_tokens).
	ByInputTokens []Cluster `json:"by_input_tokens,omitempty"`
	// ByTemplate groups by the version of the template that rendered the
	// input.
	ByTemplate []Cluster `json:"by_template,omitempty"`
}

// LengthBucket names the input-length bucket of n characters (-1: no input).
func LengthBucket(n int) string {
	switch {
	case n < 0:
		return "no_input"
	case n < 128:
		return "0-127"
	case n < 512:
		return "128-511"
	case n < 2048:
		return "512-2047"
	case n < 8192:
		return "2048-8191"
	}
	return "8192+"
}

// TokenBucket names the input-length bucket of n tokens.
func TokenBucket(n int) string {
	switch {
	case n < 64:
		return "0-63 tokens"
	case n < 256:
		return "64-255 tokens"
	case n < 1024:
		return "256-1023 tokens"
	case n < 4096:
		return "1024-4095 tokens"
	}
	return "4096+ tokens"
}

type grouper struct {
	failures                          int
	cat, length, tags, tokens, tmplts map[string]*Cluster
}

func newGrouper() *grouper {
	return &grouper{cat: map[string]*Cluster{}, length: map[string]*Cluster{}, tags: map[string]*Cluster{},
		tokens: map[string]*Cluster{}, tmplts: map[string]*Cluster{}}
}

func (g *grouper) add(p *Prediction, c Category) {
	g.failures++
	bump(g.cat, string(c), p.ID)
	bump(g.length, LengthBucket(p.InputLen()), p.ID)
	if p.PromptTokens > 0 {
		bump(g.tokens, TokenBucket(p.PromptTokens), p.ID)
	}
	if p.TemplateVersion != "" {
		bump(g.tmplts, p.TemplateVersion, p.ID)
	}
	if len(p.Tags) == 0 {
		bump(g.tags, Untagged, p.ID)
	}
	seen := map[string]bool{}
	for _, t := range p.Tags {
		if t = strings.TrimSpace(t); t != "" && !seen[t] {
			seen[t] = true
			bump(g.tags, t, p.ID)
		}
	}
}

func bump(m map[string]*Cluster, key, id string) {
	c := m[key]
	if c == nil {
		c = &Cluster{Key: key, Examples: []string{}}
		m[key] = c
	}
	c.Count++
	if len(c.Examples) < maxExamples {
		c.Examples = append(c.Examples, id)
	}
}

func (g *grouper) clusters() Clusters {
	c := Clusters{Failures: g.failures, ByCategory: g.sorted(g.cat),
		ByInputLength: g.sorted(g.length), ByTag: g.sorted(g.tags)}
	if len(g.tokens) > 0 {
		c.ByInputTokens = g.sorted(g.tokens)
	}
	if len(g.tmplts) > 0 {
		c.ByTemplate = g.sorted(g.tmplts)
	}
	return c
}

func (g *grouper) sorted(m map[string]*Cluster) []Cluster {
	out := make([]Cluster, 0, len(m))
	for _, c := range m {
		c.Share = float64(c.Count) / float64(g.failures)
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}
