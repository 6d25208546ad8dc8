package chatfmt

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Renderer renders a chat template over a conversation (JSON) with the
// semantics of transformers' apply_chat_template.
type Renderer func(template string, conversation []byte) (string, error)

// Difference is where a template's text departs from the canonical text
// for one conversation of the suite.
type Difference struct {
	Case string
	// Offset is the byte offset of the first differing byte; -1 when the
	// template failed to render (Err).
	Offset int
	// Want and Got are the canonical and the template's text around Offset.
	Want, Got string
	Err       error
}

func (d Difference) String() string {
	if d.Offset < 0 {
		return fmt.Sprintf("conversation %q: the template fails: %v", d.Case, d.Err)
	}
	return fmt.Sprintf("conversation %q: the template's text differs at byte %d: canonical %q, template %q",
		d.Case, d.Offset, d.Want, d.Got)
}

// contextBytes is how much text a Difference shows on each side.
const contextBytes = 40

// Compare renders the suite of version v with the template and returns
// the first difference from the canonical text, or nil.
func Compare(render Renderer, template string, v Version) (*Difference, error) {
	diffs, err := compare(render, template, canonicalText(v), v, true)
	if err != nil || len(diffs) == 0 {
		return nil, err
	}
	return &diffs[0], nil
}

// Diff is Compare reporting every conversation that differs.
func Diff(render Renderer, template string, v Version) ([]Difference, error) {
	return compare(render, template, canonicalText(v), v, false)
}

// DiffReference is Diff against a reference template instead of the
// canonical format, for a team that ships a deliberately different one:
// the reference's text is the one wanted. A conversation the reference
// cannot render is an error.
func DiffReference(render Renderer, template, reference string, v Version) ([]Difference, error) {
	want := func(c Case) (string, error) { return Apply(render, reference, []byte(c.JSON)) }
	return compare(render, template, want, v, false)
}

func canonicalText(v Version) func(Case) (string, error) {
	return func(c Case) (string, error) { return Render([]byte(c.JSON), v) }
}

func compare(render Renderer, template string, wantText func(Case) (string, error), v Version, first bool) ([]Difference, error) {
	var out []Difference
	for _, c := range Suite(v) {
		want, err := wantText(c)
		if err != nil {
			return nil, fmt.Errorf("%s text of %q: %w", v, c.Name, err)
		}
		got, err := Apply(render, template, []byte(c.JSON))
		d, differs := difference(c.Name, want, got, err)
		if !differs {
			continue
		}
		out = append(out, d)
		if first {
			break
		}
	}
	return out, nil
}

// Apply renders a conversation with a template as transformers'
// apply_chat_template does: with continue_final_message the text is cut
// after the final message's content.
func Apply(render Renderer, template string, conversation []byte) (string, error) {
	text, err := render(template, conversation)
	if err != nil {
		return "", err
	}
	req, err := ParseRequest(conversation)
	if err != nil || !req.ContinueFinalMessage {
		return text, nil // a conversation the canonical format cannot read is not cut
	}
	final := strings.TrimSpace(lastText(req.Messages[len(req.Messages)-1].Content))
	i := strings.LastIndex(text, final)
	if i < 0 {
		return "", fmt.Errorf("continue_final_message is set but the final message does not appear in the rendered text")
	}
	return text[:i+len(final)], nil
}

// lastText is the final message's text as transformers finds it: the
// string, or the last text chunk.
func lastText(c Content) string {
	if !c.List {
		return c.Text
	}
	for i := len(c.Chunks) - 1; i >= 0; i-- {
		if c.Chunks[i].Type == "text" {
			return c.Chunks[i].Text
		}
	}
	return ""
}

func difference(name, want, got string, err error) (Difference, bool) {
	if err != nil {
		return Difference{Case: name, Offset: -1, Err: err}, true
	}
	if want == got {
		return Difference{}, false
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	return Difference{Case: name, Offset: i, Want: around(want, i), Got: around(got, i)}, true
}

// around is s from contextBytes before i to contextBytes after, cut at
// rune boundaries.
func around(s string, i int) string {
	lo, hi := max(0, i-contextBytes), min(len(s), i+contextBytes)
	for lo > 0 && !utf8.RuneStart(s[lo]) {
		lo--
	}
	for hi < len(s) && !utf8.RuneStart(s[hi]) {
		hi++
	}
	return s[lo:hi]
}
