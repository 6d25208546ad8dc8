package compat

import (
	"encoding/json"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
)

// compareTensors reports missing, misshaped and unexpected tensors against
// what source (params.json or config.json) implies, at most a few per rule.
func (c *checker) compareTensors(want map[string]Shape, actual map[string]tensorInfo, source, firstFile string, skip func(string) bool) {
	lim := map[Code]int{}
	add := func(code Code, file, path, format string, a ...any) {
		if lim[code]++; lim[code] <= 8 {
			c.rep.add(code, file, path, format, a...)
		}
	}
	for _, name := range sortedKeys(want) {
		got, ok := actual[name]
		switch {
		case !ok:
			add(ParamsTensorMissing, firstFile, name, "tensor %s %v is implied by %s but absent: strict loading fails", name, want[name], source)
		case !got.Shape.equal(want[name]) && isEmbedding(name):
			add(VocabEmbeddingRows, got.File, name, "%s has shape %v, %s's vocab size and dimension imply %v", name, got.Shape, source, want[name])
		case !got.Shape.equal(want[name]):
			add(ParamsTensorShape, got.File, name, "%s has shape %v, %s implies %v", name, got.Shape, source, want[name])
		}
	}
	for _, name := range sortedKeys(actual) {
		if _, ok := want[name]; !ok && !skip(name) {
			add(TensorUnexpected, actual[name].File, name, "tensor %s is not part of the model %s describes: strict loading fails (\"Unexpected key\")", name, source)
		}
	}
}

// hfExpected returns the HF tensor names and shapes config.json implies
// (mistral, mixtral, mistral3), or nil when the config is not one
// packaging/mistral can map.
func (c *checker) hfExpected() map[string]Shape {
	data, ok := c.b.read("config.json")
	if !ok {
		return nil
	}
	var cfg mistral.HFConfig
	if json.Unmarshal(data, &cfg) != nil {
		return nil
	}
	t := &cfg
	if cfg.TextConfig != nil {
		t = cfg.TextConfig
	}
	vision := cfg.VisionConfig != nil && strings.EqualFold(cfg.ModelType, "mistral3")
	if t.NumHiddenLayers > maxLayers || t.NumLocalExperts > maxExperts || tooManyTensors(t.NumHiddenLayers, t.NumLocalExperts) ||
		!knownHFType(cfg.ModelType) {
		return nil
	}
	if !vision {
		cfg.VisionConfig = nil // transformers' MistralForCausalLM ignores it
	}
	p, err := cfg.Params()
	if err != nil {
		c.rep.add(ParamsInvalid, "config.json", "", "config.json does not describe a valid model: %v", err)
		return nil
	}
	names := mistral.NameMap{Vision: vision}
	want := map[string]Shape{}
	for _, ts := range mistral.ExpectedTensors(p) {
		hf, err := names.ToHF(ts.Name)
		if err != nil {
			return nil
		}
		want[hf] = Shape(ts.Shape)
	}
	return want
}

func knownHFType(t string) bool {
	switch strings.ToLower(t) {
	case "mistral", "mixtral", "mistral3":
		return true
	}
	return false
}
