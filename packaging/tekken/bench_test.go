package tekken_test

import (
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/tekken"
)

var parse = tekken.Parse

// BenchmarkEncode measures encoding throughput on mixed text with a
// vocabulary of 2,000 merges.
func BenchmarkEncode(b *testing.B) {
	tok := load(b, train(b, 2000, "v7", nil))
	text := strings.Repeat(strings.Join(corpus, "\n"), 20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tok.Encode(text)
	}
}

// BenchmarkEncodeRegexp2 is BenchmarkEncode with the pattern run by
// regexp2, for comparison with the hand-written splitter.
func BenchmarkEncodeRegexp2(b *testing.B) {
	tok := load(b, trainPattern(b, 2000, "v7", nil, "(?:"+tekken.Pattern+")"))
	text := strings.Repeat(strings.Join(corpus, "\n"), 20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tok.Encode(text)
	}
}
