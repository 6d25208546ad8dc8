package chatfmt_test

import (
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
)

// FuzzRender: no conversation makes the canonical renderer panic, and a
// rendered text always starts with BOS.
func FuzzRender(f *testing.F) {
	for _, c := range chatfmt.Suite(chatfmt.Version{N: 15, Think: true}) {
		f.Add([]byte(c.JSON))
	}
	f.Add([]byte(`{"messages": [{"role": "tool", "content": "NaN"}, {"role": "assistant", "content": [{"type": "thinking"}]}]}`))
	versions := []chatfmt.Version{{N: 1, SPM: true}, {N: 2}, {N: 3, SPM: true}, {N: 7}, {N: 11}, {N: 13, Think: true}, {N: 15}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range versions {
			text, err := chatfmt.Render(data, v)
			if err == nil && len(text) < 3 {
				t.Fatalf("%s: text %q", v, text)
			}
		}
	})
}
