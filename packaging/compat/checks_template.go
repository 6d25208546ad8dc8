package compat

import "errors"

// bundleTemplate is one chat template found in the folder.
type bundleTemplate struct {
	file, path, src string
}

// templates returns chat_template.jinja and tokenizer_config.json's
// chat_template (a string, or the "default" of a list of named templates).
func (c *checker) templates() []bundleTemplate {
	return once(c.b, "templates", func() []bundleTemplate {
		var out []bundleTemplate
		if data, ok := c.b.read("chat_template.jinja"); ok {
			out = append(out, bundleTemplate{"chat_template.jinja", "", string(data)})
		}
		tc := c.b.json("tokenizer_config.json")
		if s, ok := tc.str("chat_template"); ok {
			out = append(out, bundleTemplate{"tokenizer_config.json", "chat_template", s})
		} else if list, ok := tc["chat_template"].([]any); ok {
			for _, e := range list {
				o := obj(asMap(e))
				if name, _ := o.str("name"); name == "default" {
					s, _ := o.str("template")
					out = append(out, bundleTemplate{"tokenizer_config.json", "chat_template.default", s})
				}
			}
		}
		return out
	})
}

// vars returns the special token strings transformers passes to templates.
func (c *checker) vars() TemplateVars {
	v := DefaultVars()
	tc := c.b.json("tokenizer_config.json")
	for key, dst := range map[string]*string{"bos_token": &v.BOS, "eos_token": &v.EOS, "unk_token": &v.UNK, "pad_token": &v.PAD} {
		if s, ok := tc.tokenName(key); ok {
			*dst = s
		}
	}
	return v
}

// checkTemplates checks that the folder's templates agree and render every
// standard conversation, and that they match the adapters' training
// templates.
func (c *checker) checkTemplates() {
	ts := c.templates()
	if len(ts) == 2 && ts[0].src != ts[1].src {
		c.rep.add(TemplateMismatch, ts[1].file, ts[1].path, "tokenizer_config.json's chat_template differs from chat_template.jinja: transformers ≥ 4.47 uses the .jinja file, older readers (TGI, onnxruntime-extensions) the inline one; make them byte-identical")
	}
	for i, t := range ts {
		if i == 1 && t.src == ts[0].src {
			continue
		}
		if c.checkRenders(t) {
			c.checkCanonical(t)
		}
	}
	if len(ts) > 0 {
		c.checkTraining(ts[0])
	}
}

// checkRenders reports a template that fails to render a standard
// conversation; true when it renders every one.
func (c *checker) checkRenders(t bundleTemplate) bool {
	clean := true
	for _, conv := range Conversations() {
		_, err := RenderTemplate(t.src, []byte(conv.JSON), c.vars())
		var raised *RaisedError
		var unsafe *UnsafeTemplateError
		switch {
		case err == nil:
		case errors.As(err, &unsafe):
			c.rep.add(TemplateUnchecked, t.file, t.path, "the chat template was %v; check it with transformers' apply_chat_template", unsafe)
			return false
		case errors.As(err, &raised) && conv.Name == "tool_call":
			c.rep.add(TemplateToolsUnsupported, t.file, t.path, "the chat template refuses a tool-call conversation (%q): tool use through apply_chat_template is impossible", raised.Message)
			clean = false
		default:
			c.rep.add(TemplateRender, t.file, t.path, "the chat template fails on a %s conversation: %v; apply_chat_template would fail the same way", conv.Name, err)
			clean = false
		}
	}
	return clean
}

// checkTraining compares each training template's text with the folder's.
func (c *checker) checkTraining(t bundleTemplate) {
	for _, tt := range c.opts.TrainingTemplates {
		for _, conv := range Conversations() {
			want, err := RenderTemplate(tt.Template, []byte(conv.JSON), c.vars())
			if err != nil {
				continue // the training template does not cover this conversation
			}
			got, err := RenderTemplate(t.src, []byte(conv.JSON), c.vars())
			if err != nil {
				c.rep.add(TemplateTrainMismatch, t.file, t.path, "the adapter training template (%s) renders a %s conversation but the bundle's fails (%v): ship the training template", tt.Source, conv.Name, err)
				break
			}
			if got != want {
				c.rep.add(TemplateTrainMismatch, t.file, t.path, "the bundle's template renders a %s conversation differently from the adapter training template (%s) (%s, bundle vs training): train-time and inference-time prompts must be identical; ship the training template", conv.Name, tt.Source, firstDiff(got, want))
				break
			}
		}
	}
}

// checkTemplatePresent warns when transformers has no chat template.
func (c *checker) checkTemplatePresent() {
	if len(c.templates()) == 0 {
		c.rep.add(TemplateMissing, "chat_template.jinja", "", "no chat template (chat_template.jinja or tokenizer_config.json chat_template): apply_chat_template fails and OpenAI-compatible servers cannot format chats; ship the model's template")
	}
}
