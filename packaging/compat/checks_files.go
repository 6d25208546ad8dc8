package compat

import (
	"regexp"
	"strings"
)

// weightSet is a layout's weight files.
type weightSet struct {
	single    []string // consolidated.safetensors / model.safetensors
	shards    []string
	indexName string
}

func (w weightSet) all() []string { return append(append([]string{}, w.single...), w.shards...) }

func nativeWeights(b *folder) weightSet {
	return weightSet{
		single:    b.match(regexp.MustCompile(`^consolidated\.safetensors$`)),
		shards:    b.match(regexp.MustCompile(`^consolidated-\d+-of-\d+\.safetensors$`)),
		indexName: "consolidated.safetensors.index.json",
	}
}

func hfWeights(b *folder) weightSet {
	return weightSet{
		single:    b.match(regexp.MustCompile(`^model\.safetensors$`)),
		shards:    b.match(regexp.MustCompile(`^model-\d+-of-\d+\.safetensors$`)),
		indexName: "model.safetensors.index.json",
	}
}

// mistralTokenizers returns the files mistral-common would take for a
// tokenizer: tekken*.json and SentencePiece *.model(.v*) files.
func mistralTokenizers(b *folder) (tekken, spm []string) {
	for _, f := range b.files {
		switch {
		case strings.Contains(f, "tekken") && strings.HasSuffix(f, ".json"):
			tekken = append(tekken, f)
		case spmName().MatchString(f):
			spm = append(spm, f)
		}
	}
	return tekken, spm
}

func (c *checker) checkNativeFiles() {
	b := c.b
	if !b.has("params.json") {
		c.rep.add(FilesMissing, "params.json", "", "params.json is missing: vLLM mistral mode and mistral-inference read the architecture from it")
	}
	if w := nativeWeights(b); len(w.all()) == 0 {
		c.rep.add(FilesMissing, "consolidated.safetensors", "", "no consolidated*.safetensors: the mistral runtimes load only native weights; add consolidated.safetensors (or shards with %s)", w.indexName)
	}
	tekken, spm := mistralTokenizers(b)
	all := append(append([]string{}, tekken...), spm...)
	switch {
	case len(all) == 0:
		c.rep.add(FilesMissing, "tekken.json", "", "no tokenizer: add exactly one tekken.json or tokenizer.model.v* file")
	case len(all) > 1:
		c.rep.add(TokenizerMultiple, all[1], "", "%d tokenizer files (%s): mistral-inference asserts \"Multiple tokenizers\" and vLLM picks one silently; package exactly one", len(all), strings.Join(all, ", "))
	}
	for _, f := range spm {
		if _, _, ok := spmVersion(f); !ok {
			c.rep.add(TokenizerUnrecognized, f, "", "%s: mistral-common reads the tokenizer version from the suffix and knows .model and .model.v{1,2,3,7,11,13,15}[m1]; rename the file", f)
		}
	}
}

// checkVLLMTokenizerName: vLLM enters mistral tokenizer mode only for
// tekken.json or tokenizer.model.v* (vllm/tokenizers/registry.py).
func (c *checker) checkVLLMTokenizerName() {
	tekken, spm := mistralTokenizers(c.b)
	re := regexp.MustCompile(`^(tekken\.json|tokenizer\.model\.v.*|tokenizer\.mm\.model\.v.*)$`)
	for _, f := range append(tekken, spm...) {
		if !re.MatchString(f) {
			c.rep.add(TokenizerUnrecognized, f, "", "vLLM finds the tokenizer only as tekken.json or tokenizer.model.v*; rename %s, or vLLM falls back to HF mode and fails", f)
		}
	}
}

func (c *checker) checkUnsharded() {
	w := nativeWeights(c.b)
	if pth := c.b.match(regexp.MustCompile(`^consolidated\.\d+\.pth$`)); len(pth) > 0 && len(w.single) > 0 {
		c.rep.add(WeightsMultiple, pth[0], "", "%s next to consolidated.safetensors: mistral-inference asserts exactly one weights file; remove %s", pth[0], pth[0])
	}
	if len(w.shards) > 0 || c.b.has(w.indexName) {
		f := w.indexName
		if len(w.shards) > 0 {
			f = w.shards[0]
		}
		c.rep.add(WeightsSharded, f, "", "mistral-inference loads exactly one consolidated.safetensors and refuses sharded weights; merge the shards or drop the mistral-inference runtime")
	}
}

func (c *checker) checkMixedLayout() {
	n, h := nativeWeights(c.b).all(), hfWeights(c.b).all()
	if len(n) > 0 && len(h) > 0 {
		c.rep.add(FilesMixedLayout, h[0], "", "native %s next to HF %s: vLLM loads the wrong set (KeyError on layers.0.attention.wk.weight); keep one weight layout per bundle", n[0], h[0])
	}
}

func (c *checker) checkHFFiles() {
	b := c.b
	need := func(name, why string) {
		if !b.has(name) {
			c.rep.add(FilesMissing, name, "", "%s is missing: %s", name, why)
		}
	}
	need("config.json", "transformers reads the architecture from it")
	if w := hfWeights(b); len(w.all()) == 0 {
		c.rep.add(FilesMissing, "model.safetensors", "", "no model*.safetensors: transformers needs HF-format weights (model.safetensors or shards with %s)", w.indexName)
	}
	tekken, _ := mistralTokenizers(b)
	switch {
	case b.has("tokenizer.json") || b.has("tokenizer.model"):
		need("tokenizer_config.json", "AutoTokenizer reads the special tokens and chat template from it")
	case len(tekken) == 0:
		c.rep.add(FilesMissing, "tokenizer.json", "", "no tokenizer.json, tokenizer.model or tekken.json (transformers' MistralCommonBackend): AutoTokenizer cannot load")
	}
	need("generation_config.json", "without it generate() takes EOS from config.json defaults; ship the EOS ids explicitly")
}

func (c *checker) checkNativeIndex() { c.checkIndex(nativeWeights(c.b)) }
func (c *checker) checkHFIndex()     { c.checkIndex(hfWeights(c.b)) }

// checkIndex checks that the shard index and the shards agree.
func (c *checker) checkIndex(w weightSet) {
	b := c.b
	if len(w.shards) == 0 && !b.has(w.indexName) {
		return
	}
	idx := b.json(w.indexName)
	if idx == nil {
		if !b.has(w.indexName) {
			c.rep.add(WeightsIndex, w.indexName, "", "%d shards without %s: the runtime cannot find the tensors", len(w.shards), w.indexName)
		}
		return
	}
	wm := idx.sub("weight_map")
	actual := b.tensors(w.shards)
	n := 0
	report := func(path, format string, a ...any) {
		if n++; n <= 5 {
			c.rep.add(WeightsIndex, w.indexName, path, format, a...)
		}
	}
	for _, name := range sortedKeys(wm) {
		file, _ := wm[name].(string)
		if !b.has(file) {
			report("weight_map."+name, "maps %s to %q, which is not in the folder", name, file)
		} else if ti, ok := actual[name]; !ok || ti.File != file {
			report("weight_map."+name, "maps %s to %s, but that shard does not hold it", name, file)
		}
	}
	for _, name := range sortedKeys(actual) {
		if _, ok := wm[name]; !ok {
			report("weight_map", "tensor %s of %s is not in weight_map: the loader never reads it", name, actual[name].File)
		}
	}
}
