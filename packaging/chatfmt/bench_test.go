package chatfmt_test

import (
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
)

// BenchmarkCompare is the cost of the template.canonical check for one
// template: the suite rendered twice (Jinja and canonical).
func BenchmarkCompare(b *testing.B) {
	src := fixtureTemplate(b, "v7.jinja")
	v := chatfmt.Version{N: 7}
	for b.Loop() {
		if d, err := chatfmt.Compare(render, src, v); d != nil || err != nil {
			b.Fatal(d, err)
		}
	}
}
