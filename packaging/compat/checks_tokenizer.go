package compat

import "sort"

// tokInfo is the tokenizer a mistral runtime would load.
type tokInfo struct {
	file    string
	tekken  *Tekken
	spm     *SPM
	version int
	image   bool
}

// tokenizer returns the mistral tokenizer (tekken*.json first, else the
// lexicographically last SentencePiece file, as mistral-common picks), or
// nil when there is none or it cannot be parsed.
func (c *checker) tokenizer() *tokInfo {
	return once(c.b, "tokenizer", func() *tokInfo {
		tekken, spm := mistralTokenizers(c.b)
		sort.Strings(tekken)
		sort.Strings(spm)
		switch {
		case len(tekken) > 0:
			return c.loadTekken(tekken[0])
		case len(spm) > 0:
			return c.loadSPM(spm[len(spm)-1])
		}
		return nil
	})
}

func (c *checker) loadTekken(file string) *tokInfo {
	data, ok := c.b.read(file)
	if !ok {
		return nil
	}
	t, err := ParseTekken(data)
	if err != nil {
		c.b.malformed(file, err)
		return nil
	}
	return &tokInfo{file: file, tekken: t, version: t.versionNumber(), image: t.Image != nil}
}

func (c *checker) loadSPM(file string) *tokInfo {
	data, ok := c.b.read(file)
	if !ok {
		return nil
	}
	m, err := ParseSPM(data)
	if err != nil {
		c.b.malformed(file, err)
		return nil
	}
	v, image, _ := spmVersion(file)
	return &tokInfo{file: file, spm: m, version: v, image: image}
}

// size returns the tokenizer's vocabulary size and what it is.
func (t *tokInfo) size() (int, string) {
	if t.tekken != nil {
		return t.tekken.Config.DefaultVocabSize, "default_vocab_size"
	}
	return len(t.spm.Pieces), "pieces"
}

// specialID returns the id of a special token string.
func (t *tokInfo) specialID(name string) (int, bool) {
	if t.tekken != nil {
		return t.tekken.SpecialID(name)
	}
	id := t.spm.ID(name)
	return id, id >= 0
}

// role returns the tokenizer's bos, eos or pad id (-1: none).
func (t *tokInfo) role(which string) int {
	if t.tekken != nil {
		name := map[string]string{"bos": "<s>", "eos": "</s>", "pad": "<pad>"}[which]
		if id, ok := t.tekken.SpecialID(name); ok {
			return id
		}
		return -1
	}
	id := map[string]int{"bos": t.spm.BosID, "eos": t.spm.EosID, "pad": t.spm.PadID}[which]
	if id < 0 || id >= len(t.spm.Pieces) {
		return -1
	}
	return id
}

// checkMistralTokenizer validates the tokenizer file and the special tokens
// its instruct version requires.
func (c *checker) checkMistralTokenizer() {
	tok := c.tokenizer()
	if tok == nil {
		return
	}
	c.checkImageTokens(tok)
	if tok.tekken != nil {
		checkTekken(tok.tekken, tok.file, c.rep)
		if !tok.tekken.HasSpecials && tok.version > 7 {
			return // tekken.special_missing already says it
		}
	}
	var missing []string
	for _, s := range requiredSpecials(tok.version, tok.spm != nil) {
		if _, ok := tok.specialID(s); !ok {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		c.rep.add(TokenizerRequiredSpecial, tok.file, "special_tokens", "tokenizer v%d lacks the special tokens %v that mistral-common's instruct tokenizer needs; encoding a chat fails with \"Unknown control token\"", tok.version, missing)
	}
}
