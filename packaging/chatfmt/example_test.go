package chatfmt_test

import (
	"fmt"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
)

func ExampleRender() {
	conv := []byte(`{"messages": [
 {"role": "system", "content": "Be brief."},
 {"role": "user", "content": "Hi"}]}`)
	for _, tag := range []string{"v3", "v3_spm", "v7"} {
		v, _ := chatfmt.ParseVersion(tag)
		text, _ := chatfmt.Render(conv, v)
		fmt.Printf("%-6s %q\n", v, text)
	}
	// Output:
	// v3     "<s>[INST]Be brief.\n\nHi[/INST]"
	// v3_spm "<s>[INST] Be brief.\n\nHi[/INST]"
	// v7     "<s>[SYSTEM_PROMPT]Be brief.[/SYSTEM_PROMPT][INST]Hi[/INST]"
}

func ExampleCompare() {
	// A renderer is normally a Jinja engine (compat.RenderTemplate); this
	// one prints the template as it is, a text that forgets the space
	// SentencePiece expects after [INST].
	render := func(template string, _ []byte) (string, error) { return template, nil }
	v, _ := chatfmt.ParseVersion("v2_spm")
	d, _ := chatfmt.Compare(render, "<s>[INST]My invoice", v)
	fmt.Printf("%s: byte %d: %q vs %q\n", d.Case, d.Offset, d.Want[:14], d.Got)
	// Output: chat: byte 9: "<s>[INST] My i" vs "<s>[INST]My invoice"
}
