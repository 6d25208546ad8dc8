package compat

import (
	"strconv"
)

// hfTokenIDs maps token strings to ids from tokenizer_config.json's
// added_tokens_decoder and tokenizer.json's added_tokens.
func (c *checker) hfTokenIDs() map[string]int {
	return once(c.b, "hftokens", func() map[string]int {
		ids := map[string]int{}
		if tj := c.b.json("tokenizer.json"); tj != nil {
			list, _ := tj["added_tokens"].([]any)
			for _, e := range list {
				o := obj(asMap(e))
				id, ok1 := o.int("id")
				s, ok2 := o.str("content")
				if ok1 && ok2 {
					ids[s] = int(id)
				}
			}
		}
		for k, v := range c.b.json("tokenizer_config.json").sub("added_tokens_decoder") {
			id, err := strconv.Atoi(k)
			if s, ok := obj(asMap(v)).str("content"); ok && err == nil {
				ids[s] = id
			}
		}
		return ids
	})
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

// tokenID resolves a token string through the HF files, then the mistral
// tokenizer.
func (c *checker) tokenID(name string) (int, bool) {
	if id, ok := c.hfTokenIDs()[name]; ok {
		return id, true
	}
	if tok := c.tokenizer(); tok != nil {
		return tok.specialID(name)
	}
	return 0, false
}

// refID returns the tokenizer's own bos/eos/pad id and where it comes from
// (-1: none).
func (c *checker) refID(which string) (int, string) {
	if tok := c.tokenizer(); tok != nil {
		return tok.role(which), tok.file
	}
	if name, ok := c.b.json("tokenizer_config.json").tokenName(which + "_token"); ok {
		if id, ok := c.tokenID(name); ok {
			return id, "tokenizer_config.json"
		}
	}
	return -1, ""
}

// checkSpecialIDs checks that EOS, BOS and PAD agree across
// generation_config.json, config.json, tokenizer_config.json and the
// tokenizer.
func (c *checker) checkSpecialIDs() {
	eos, eosSrc := c.refID("eos")
	if eos < 0 {
		c.reportNoEOS()
	} else {
		c.checkRole("eos", eos, eosSrc)
	}
	if bos, bosSrc := c.refID("bos"); bos >= 0 {
		c.checkRole("bos", bos, bosSrc)
	}
	c.checkPad(eos)
}

func (c *checker) reportNoEOS() {
	if tok := c.tokenizer(); tok != nil {
		c.rep.add(EOSMissing, tok.file, "", "%s has no end-of-sequence token (</s>): generation never stops; use a tokenizer with EOS", tok.file)
		return
	}
	if tc := c.b.json("tokenizer_config.json"); tc != nil {
		c.rep.add(EOSMissing, "tokenizer_config.json", "eos_token", "tokenizer_config.json has no eos_token that the tokenizer knows: generation never stops; set eos_token to \"</s>\"")
	}
}

// checkRole compares a role's id in every file with the tokenizer's.
func (c *checker) checkRole(which string, want int, src string) {
	code := map[string]Code{"eos": EOSMismatch, "bos": BOSMismatch, "pad": PadMismatch}[which]
	for _, f := range []string{"generation_config.json", "config.json"} {
		o := c.b.json(f)
		key := which + "_token_id"
		if _, present := o[key]; !present || o[key] == nil {
			continue
		}
		got, ok := o.ints(key)
		if !ok || !containsInt(got, want) {
			c.rep.add(code, f, key, "%s %s is %v but the tokenizer (%s) uses %d: %s", f, key, o[key], src, want, consequence(which))
		}
	}
	if name, ok := c.b.json("tokenizer_config.json").tokenName(which + "_token"); ok && src != "tokenizer_config.json" {
		if id, ok := c.tokenID(name); !ok || id != want {
			c.rep.add(code, "tokenizer_config.json", which+"_token", "tokenizer_config.json %s_token %q is not id %d of %s: %s", which, name, want, src, consequence(which))
		}
	}
}

func consequence(which string) string {
	if which == "eos" {
		return "generation does not stop where the model was trained to stop; use the tokenizer's EOS everywhere"
	}
	return "prompts start with a different token than in training; use the tokenizer's BOS everywhere"
}

func containsInt(l []int64, v int) bool {
	for _, x := range l {
		if x == int64(v) {
			return true
		}
	}
	return false
}

// padSource is one file's pad id.
type padSource struct {
	file, path string
	id         int
}

func (c *checker) pads() []padSource {
	var out []padSource
	for _, f := range []string{"generation_config.json", "config.json"} {
		if id, ok := c.b.json(f).int("pad_token_id"); ok {
			out = append(out, padSource{f, "pad_token_id", int(id)})
		}
	}
	if name, ok := c.b.json("tokenizer_config.json").tokenName("pad_token"); ok {
		if id, ok := c.tokenID(name); ok {
			out = append(out, padSource{"tokenizer_config.json", "pad_token", id})
		}
	}
	return out
}

func (c *checker) checkPad(eos int) {
	vocab := c.vocabSize()
	tekPad := -1
	if tok := c.tokenizer(); tok != nil && tok.tekken != nil {
		tekPad = tok.role("pad")
	}
	for i, p := range c.pads() {
		switch {
		case vocab > 0 && (p.id >= vocab || p.id < 0):
			c.rep.add(PadOutOfRange, p.file, p.path, "pad id %d is outside the vocabulary (size %d): batched inference and training crash", p.id, vocab)
		case eos >= 0 && p.id == eos:
			c.rep.add(PadEqualsEOS, p.file, p.path, "pad id %d is the EOS id: fine-tuning masks EOS as padding, so the model never learns to stop and generates until max_tokens; use a dedicated pad token (tekken <pad> = 11)", p.id)
		case tekPad >= 0 && p.id != tekPad:
			c.rep.add(PadMismatch, p.file, p.path, "pad id %d but the tekken tokenizer's <pad> is %d", p.id, tekPad)
		case tekPad < 0 && i > 0 && p.id != c.pads()[0].id:
			c.rep.add(PadMismatch, p.file, p.path, "pad id %d but %s says %d", p.id, c.pads()[0].file, c.pads()[0].id)
		}
	}
}

// vocabSize returns the model's vocab size from params.json or config.json.
func (c *checker) vocabSize() int {
	if p := c.params(); p != nil {
		return p.VocabSize
	}
	if _, t := c.hfConfig(); t != nil {
		if v, ok := t.int("vocab_size"); ok {
			return int(v)
		}
	}
	return 0
}
