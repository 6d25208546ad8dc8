package compat

// isAdapter reports whether the folder is a LoRA adapter (PEFT or
// mistral-finetune) rather than a model.
func isAdapter(b *folder) bool {
	if len(nativeWeights(b).all())+len(hfWeights(b).all()) > 0 {
		return false
	}
	return b.has("adapter_config.json") || b.has("lora.safetensors")
}

// checkLoRA applies vLLM's LoRA adapter restrictions (vllm/lora/peft_helper.py),
// several of which only fail at the first request and kill the engine.
func (c *checker) checkLoRA() {
	b := c.b
	if !b.has("adapter_config.json") {
		if b.has("lora.safetensors") {
			c.rep.add(LoRAFormat, "lora.safetensors", "", "a mistral-finetune adapter: vLLM serves only PEFT adapters (adapter_config.json + adapter_model.safetensors); merge it or convert it to PEFT to serve it with --enable-lora")
			return
		}
		c.rep.add(FilesMissing, "adapter_config.json", "", "adapter_config.json is missing: vLLM cannot load the LoRA adapter")
		return
	}
	if !b.has("adapter_model.safetensors") {
		c.rep.add(FilesMissing, "adapter_model.safetensors", "", "adapter_model.safetensors is missing: vLLM loads the adapter's weights from it")
	}
	cfg := b.json("adapter_config.json")
	if cfg == nil {
		return
	}
	c.checkLoRAConfig(cfg)
}

func (c *checker) checkLoRAConfig(cfg obj) {
	const f = "adapter_config.json"
	if t, _ := cfg.str("peft_type"); t != "LORA" {
		c.rep.add(LoRAConfig, f, "peft_type", "peft_type is %v, vLLM serves only LORA adapters", cfg["peft_type"])
	}
	if r, ok := cfg.int("r"); !ok || r <= 0 {
		c.rep.add(LoRAConfig, f, "r", "r must be a positive integer, got %v: vLLM needs the rank", cfg["r"])
	}
	if a, ok := cfg.num("lora_alpha"); !ok || a <= 0 {
		c.rep.add(LoRAConfig, f, "lora_alpha", "lora_alpha must be a positive number, got %v: vLLM needs it for the scaling", cfg["lora_alpha"])
	}
	switch tm := cfg["target_modules"].(type) {
	case string:
	case []any:
		if len(tm) == 0 {
			c.rep.add(LoRAConfig, f, "target_modules", "target_modules is empty")
		}
	default:
		c.rep.add(LoRAConfig, f, "target_modules", "target_modules must be a list or a regex string, got %v", cfg["target_modules"])
	}
	if l, ok := cfg["modules_to_save"].([]any); ok && len(l) > 0 {
		c.rep.add(LoRAModulesToSave, f, "modules_to_save", "modules_to_save is %v: vLLM fails with \"vLLM only supports modules_to_save being None.\"; merge the adapter instead", l)
	}
	if d, _ := cfg["use_dora"].(bool); d {
		c.rep.add(LoRADoRA, f, "use_dora", "use_dora is true: vLLM fails with \"vLLM does not yet support DoRA.\"; merge the adapter instead")
	}
	if r, _ := cfg["use_rslora"].(bool); r {
		c.rep.add(LoRARSLoRA, f, "use_rslora", "use_rslora is true: older vLLM versions reject it; check the serving version or merge the adapter")
	}
}
