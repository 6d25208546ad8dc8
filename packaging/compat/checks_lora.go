package compat

import (
	"context"
	"fmt"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

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
	if a, ok := cfg.num("lora_alpha"); !ok || a <= 0 {
		c.rep.add(LoRAConfig, f, "lora_alpha", "lora_alpha must be a positive number, got %v: vLLM needs it for the scaling", cfg["lora_alpha"])
	}
	c.checkLoRARank(cfg)
	c.checkLoRATargets(cfg)
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

// vLLM's LoRA rank limits (vllm/config/lora.py, MaxLoRARanks): the values
// --max-lora-rank accepts, default 16; an adapter whose rank exceeds it is
// refused at load ("LoRA rank R is greater than max_lora_rank M").
func maxLoRARanks() []int64 { return []int64{1, 8, 16, 32, 64, 128, 256, 320, 512} }

const defaultMaxLoRARank = 16

// checkLoRARank checks r and every rank_pattern value: positive integers no
// vLLM --max-lora-rank refuses; above the default 16 a warning names the flag.
func (c *checker) checkLoRARank(cfg obj) {
	const f = "adapter_config.json"
	r, ok := cfg.int("r")
	if !ok || r <= 0 {
		c.rep.add(LoRARank, f, "r", "r must be a positive integer, got %v: vLLM needs the rank", cfg["r"])
		return
	}
	top, path := r, "r"
	for _, k := range sortedKeys(cfg.sub("rank_pattern")) {
		v, ok := cfg.sub("rank_pattern").int(k)
		if !ok || v <= 0 {
			c.rep.add(LoRARank, f, "rank_pattern."+k, "rank_pattern[%q] must be a positive integer, got %v", k, cfg.sub("rank_pattern")[k])
			return
		}
		if v > top {
			top, path = v, "rank_pattern."+k
		}
	}
	ranks := maxLoRARanks()
	largest := ranks[len(ranks)-1]
	if top > largest {
		c.rep.add(LoRARank, f, path, "rank %d is above %d, the largest --max-lora-rank vLLM accepts: vLLM refuses the adapter (\"LoRA rank %d is greater than max_lora_rank\"); merge it instead", top, largest, top)
		return
	}
	if top > defaultMaxLoRARank {
		need := largest
		for _, m := range ranks {
			if m >= top {
				need = m
				break
			}
		}
		c.rep.add(LoRAMaxRank, f, path, "rank %d is above vLLM's default max_lora_rank %d: serve it with --max-lora-rank %d or vLLM refuses it at load", top, defaultMaxLoRARank, need)
	}
}

// checkLoRATargets requires target_modules: a non-empty list of module
// names or a non-empty regex string.
func (c *checker) checkLoRATargets(cfg obj) {
	const f = "adapter_config.json"
	switch tm := cfg["target_modules"].(type) {
	case string:
		if tm == "" {
			c.rep.add(LoRATargets, f, "target_modules", "target_modules is an empty string: the adapter targets no module")
		}
	case []any:
		if len(tm) == 0 {
			c.rep.add(LoRATargets, f, "target_modules", "target_modules is empty: the adapter targets no module")
		}
		for i, e := range tm {
			if s, ok := e.(string); !ok || s == "" {
				c.rep.add(LoRATargets, f, fmt.Sprintf("target_modules.%d", i), "target_modules[%d] is %v, not a module name", i, e)
			}
		}
	case nil:
		c.rep.add(LoRATargets, f, "target_modules", "target_modules is missing: vLLM needs the adapted modules")
	default:
		c.rep.add(LoRATargets, f, "target_modules", "target_modules must be a list or a regex string, got %v", tm)
	}
}

// CheckAdapter applies the vllm-lora profile's adapter rules (what ckpt
// check --runtime vllm-lora reports about adapter_config.json and the
// weights file) to the adapter folder dir. The adapter and merge steps run
// it too, so that a build refuses the adapters the check refuses.
func CheckAdapter(ctx context.Context, dir string) ([]specv1.Finding, error) {
	rep := newReport()
	b, err := openFolder(dir, rep)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("compat: check %s: %w", dir, err)
	}
	c := &checker{b: b, rep: rep}
	c.run(namedCheck{"lora", (*checker).checkLoRA})
	return rep.sorted(), nil
}

// AdapterErrors is CheckAdapter's error findings as step diagnostics on
// the config attribute path, each naming its file and rule code: what the
// adapter and merge steps refuse. Warnings (e.g. lora.max_lora_rank) only
// matter to whoever serves the adapter unmerged; a check "runtime" step
// reports them.
func AdapterErrors(ctx context.Context, dir string, path ...string) ([]specv1.Diagnostic, error) {
	fs, err := CheckAdapter(ctx, dir)
	if err != nil {
		return nil, err
	}
	var ds []specv1.Diagnostic
	for _, f := range fs {
		if f.Severity == specv1.SeverityError {
			ds = append(ds, specv1.Diagnostic{Severity: f.Severity, Code: f.Code, Path: path,
				Summary: fmt.Sprintf("%s: %s (%s)", f.File, f.Message, f.Code)})
		}
	}
	return ds, nil
}
