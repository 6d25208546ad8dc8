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

type grouper struct {
	failures          int
	cat, length, tags map[string]*Cluster
}

func newGrouper() *grouper {
	return &grouper{cat: map[string]*Cluster{}, length: map[string]*Cluster{}, tags: map[string]*Cluster{}}
}

func (g *grouper) add(p *Prediction, c Category) {
	g.failures++
	bump(g.cat, string(c), p.ID)
	bump(g.length, LengthBucket(p.InputLen()), p.ID)
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
	return Clusters{Failures: g.failures, ByCategory: g.sorted(g.cat),
		ByInputLength: g.sorted(g.length), ByTag: g.sorted(g.tags)}
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
