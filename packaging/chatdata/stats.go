package chatdata

import "sort"

// FileStats are the counts and length statistics of one file.
type FileStats struct {
	Split  string `json:"split"`
	File   string `json:"file"`
	Digest string `json:"digest"`
	// Samples counts non-blank lines; Valid those without an error.
	Samples   int            `json:"samples"`
	Valid     int            `json:"valid"`
	Messages  map[string]int `json:"messages"`
	ToolCalls int            `json:"tool_calls"`
	// Tokens are approximate (ApproxTokens) per sample, over valid and
	// invalid samples alike.
	Tokens TokenStats `json:"tokens"`
	// AssistantTokens is the approximate number of tokens the loss is
	// computed on.
	AssistantTokens int `json:"assistant_tokens"`

	lengths []int
}

// TokenStats summarizes approximate sample lengths.
type TokenStats struct {
	Total int     `json:"total"`
	Min   int     `json:"min"`
	Mean  float64 `json:"mean"`
	P50   int     `json:"p50"`
	P95   int     `json:"p95"`
	Max   int     `json:"max"`
}

func newFileStats(split, file string) *FileStats {
	return &FileStats{Split: split, File: file, Messages: map[string]int{}}
}

func (s *FileStats) add(info sampleInfo, bad bool) {
	s.Samples++
	if !bad {
		s.Valid++
	}
	for r, n := range info.roles {
		s.Messages[r] += n
	}
	s.ToolCalls += info.toolCalls
	s.AssistantTokens += info.assistantTokens
	s.Tokens.Total += info.tokens
	s.lengths = append(s.lengths, info.tokens)
}

// finish computes the length distribution (nearest-rank percentiles).
func (s *FileStats) finish() {
	n := len(s.lengths)
	if n == 0 {
		return
	}
	sort.Ints(s.lengths)
	s.Tokens.Min, s.Tokens.Max = s.lengths[0], s.lengths[n-1]
	s.Tokens.Mean = float64(s.Tokens.Total) / float64(n)
	s.Tokens.P50 = s.lengths[rank(50, n)]
	s.Tokens.P95 = s.lengths[rank(95, n)]
	s.lengths = nil
}

// rank is the 0-based nearest-rank index of percentile p among n values.
func rank(p, n int) int {
	r := (p*n + 99) / 100
	if r < 1 {
		r = 1
	}
	return r - 1
}
