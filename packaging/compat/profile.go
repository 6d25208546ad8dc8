package compat

// Profile is a runtime's set of required files and rules.
type Profile struct {
	Name string
	// Files describes the files the runtime needs.
	Files  string
	checks []namedCheck
}

// namedCheck is one check function; several rules' codes may come from one.
type namedCheck struct {
	name string
	fn   func(*checker)
}

// Profiles returns the runtime profiles.
func Profiles() []Profile {
	common := []namedCheck{
		{"params", (*checker).checkParams},
		{"tokenizer.mistral", (*checker).checkMistralTokenizer},
		{"specials", (*checker).checkSpecialIDs},
		{"template", (*checker).checkTemplates},
		{"ids", (*checker).checkIDs},
		{"layout.mixed", (*checker).checkMixedLayout},
	}
	native := []namedCheck{
		{"files.native", (*checker).checkNativeFiles},
		{"tensors.native", (*checker).checkNativeTensors},
		{"vocab.native", (*checker).checkNativeVocab},
		{"vision.native", (*checker).checkNativeVision},
		{"config.params", (*checker).checkConfigParams},
	}
	return []Profile{
		{Name: "vllm-mistral", Files: "params.json, consolidated*.safetensors (or shards + consolidated.safetensors.index.json), exactly one tokenizer (tekken.json or tokenizer.model.v*)",
			checks: concat(native, common, []namedCheck{{"index.native", (*checker).checkNativeIndex},
				{"tokenizer.vllm_name", (*checker).checkVLLMTokenizerName}})},
		{Name: "mistral-inference", Files: "params.json, one consolidated.safetensors (no shards), exactly one tokenizer (tekken.json or tokenizer.model.v*)",
			checks: concat(native, common, []namedCheck{{"weights.unsharded", (*checker).checkUnsharded}})},
		{Name: "transformers", Files: "config.json, model.safetensors (or shards + model.safetensors.index.json), tokenizer.json or tokenizer.model, tokenizer_config.json, generation_config.json",
			checks: concat(common, []namedCheck{
				{"files.hf", (*checker).checkHFFiles},
				{"index.hf", (*checker).checkHFIndex},
				{"tensors.hf", (*checker).checkHFTensors},
				{"config.params", (*checker).checkConfigParams},
				{"vision.hf", (*checker).checkHFVision},
				{"template.required", (*checker).checkTemplatePresent},
			})},
		{Name: "vllm-lora", Files: "a PEFT adapter: adapter_config.json (LORA, r, lora_alpha, target_modules; no modules_to_save, no DoRA) and adapter_model.safetensors",
			checks: concat(common, []namedCheck{{"lora", (*checker).checkLoRA}})},
	}
}

func concat(ls ...[]namedCheck) []namedCheck {
	var out []namedCheck
	for _, l := range ls {
		out = append(out, l...)
	}
	return out
}

// ProfileNames returns the names of the runtime profiles.
func ProfileNames() []string {
	var out []string
	for _, p := range Profiles() {
		out = append(out, p.Name)
	}
	return out
}

func profileByName(name string) (Profile, bool) {
	for _, p := range Profiles() {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}
