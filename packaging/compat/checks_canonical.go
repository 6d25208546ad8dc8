package compat

import (
	"errors"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
)

// checkCanonical compares a template that renders cleanly with the
// canonical chat format of the folder's tokenizer version (mistral-common's
// instruct tokenizers), or with Options.TemplateReference when the team
// ships a deliberately different format. A folder whose tokenizer version
// is unknown (no Mistral tokenizer, several) is left to the other rules.
func (c *checker) checkCanonical(t bundleTemplate) {
	v, tok, err := chatfmt.DetectVersion(c.b.dir)
	if err != nil {
		return
	}
	render := func(src string, conv []byte) (string, error) { return RenderTemplate(src, conv, c.vars()) }
	var d *chatfmt.Difference
	if ref := c.opts.TemplateReference; ref != "" {
		diffs, rerr := chatfmt.DiffReference(render, t.src, ref, v)
		if rerr != nil {
			c.rep.add(TemplateCanonical, t.file, t.path, "the template_reference cannot be rendered: %v", rerr)
			return
		}
		if len(diffs) > 0 {
			d = &diffs[0]
		}
	} else if d, err = chatfmt.Compare(render, t.src, v); err != nil {
		var rej *chatfmt.RejectError
		if !errors.As(err, &rej) {
			c.rep.add(TemplateCanonical, t.file, t.path, "the canonical %s format cannot be rendered: %v", v, err)
		}
		return
	}
	if d == nil {
		return
	}
	want := "the canonical " + v.String() + " format of " + filepath.Base(tok)
	if c.opts.TemplateReference != "" {
		want = "the template_reference"
	}
	c.rep.add(TemplateCanonical, t.file, t.path, "the chat template renders other text than %s: %v; runtimes that tokenize with mistral-common (vLLM's mistral mode, mistral-inference) see other prompts than apply_chat_template users", want, d)
}
