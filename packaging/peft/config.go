package peft

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Config is a PEFT adapter_config.json (LoRA keys of huggingface/peft
// LoraConfig). Keys it does not model are kept in Extra.
type Config struct {
	PeftType            string             `json:"peft_type"`
	TaskType            string             `json:"task_type,omitempty"`
	BaseModelNameOrPath string             `json:"base_model_name_or_path,omitempty"`
	Revision            *string            `json:"revision,omitempty"`
	InferenceMode       bool               `json:"inference_mode"`
	R                   int                `json:"r"`
	LoraAlpha           float64            `json:"lora_alpha"`
	LoraDropout         float64            `json:"lora_dropout"`
	TargetModules       json.RawMessage    `json:"target_modules,omitempty"`
	ExcludeModules      json.RawMessage    `json:"exclude_modules,omitempty"`
	FanInFanOut         bool               `json:"fan_in_fan_out"`
	Bias                string             `json:"bias"`
	UseRSLoRA           bool               `json:"use_rslora"`
	UseDoRA             bool               `json:"use_dora"`
	ModulesToSave       []string           `json:"modules_to_save"`
	InitLoraWeights     json.RawMessage    `json:"init_lora_weights,omitempty"`
	LayersToTransform   json.RawMessage    `json:"layers_to_transform,omitempty"`
	LayersPattern       json.RawMessage    `json:"layers_pattern,omitempty"`
	RankPattern         map[string]int     `json:"rank_pattern,omitempty"`
	AlphaPattern        map[string]float64 `json:"alpha_pattern,omitempty"`
	LoraBias            bool               `json:"lora_bias"`
	TrainableTokens     json.RawMessage    `json:"trainable_token_indices,omitempty"`
	PeftVersion         string             `json:"peft_version,omitempty"`
}

// DefaultConfig returns PEFT's LoraConfig defaults (r 8, alpha 8, bias none).
func DefaultConfig() Config {
	return Config{PeftType: "LORA", R: 8, LoraAlpha: 8, Bias: "none", InferenceMode: true}
}

// ReadConfig parses an adapter_config.json file; errors name it.
func ReadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses and checks adapter_config.json bytes; absent keys take
// PEFT's defaults. Variants a LoRA merge cannot apply are refused.
func ParseConfig(b []byte) (*Config, error) {
	c := DefaultConfig()
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if _, err := c.targets(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) validate() error {
	switch {
	case c.PeftType != "LORA":
		return fmt.Errorf("peft_type %q: only LORA adapters can be merged", c.PeftType)
	case c.R <= 0:
		return fmt.Errorf("r = %d must be positive", c.R)
	case !(c.LoraAlpha > 0):
		return fmt.Errorf("lora_alpha = %g must be positive", c.LoraAlpha)
	case c.UseDoRA:
		return fmt.Errorf("use_dora: DoRA adapters are refused (a plain LoRA merge would be wrong, and vLLM does not support DoRA)")
	case len(c.ModulesToSave) > 0:
		return fmt.Errorf("modules_to_save %v: adapters with fully trained modules are refused (vLLM only supports modules_to_save being None)", c.ModulesToSave)
	case c.Bias != "" && c.Bias != "none":
		return fmt.Errorf("bias %q: bias training is refused (Mistral linears have no bias; only bias \"none\" merges)", c.Bias)
	case c.LoraBias:
		return fmt.Errorf("lora_bias: adapters with a lora_B bias are refused")
	case c.FanInFanOut:
		return fmt.Errorf("fan_in_fan_out: transposed (Conv1D) weights are not Mistral linears")
	case len(bytes.TrimSpace(c.TrainableTokens)) > 0 && string(bytes.TrimSpace(c.TrainableTokens)) != "null":
		return fmt.Errorf("trainable_token_indices: adapters that train embedding rows are refused")
	}
	return nil
}

// targets is the parsed target_modules: a list of names, a full-match
// regular expression, or all-linear.
type targets struct {
	list      []string
	re        *regexp.Regexp
	allLinear bool
}

func (c *Config) targets() (targets, error) {
	raw := bytes.TrimSpace(c.TargetModules)
	if len(raw) == 0 || string(raw) == "null" {
		return targets{}, fmt.Errorf("target_modules is missing")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "all-linear" {
			return targets{allLinear: true}, nil
		}
		re, err := regexp.Compile("^(?:" + s + ")$")
		if err != nil {
			return targets{}, fmt.Errorf("target_modules regex %q: %w", s, err)
		}
		return targets{re: re}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return targets{}, fmt.Errorf("target_modules must be a list or a string: %w", err)
	}
	return targets{list: l}, nil
}

// matches follows PEFT's check_target_module_exists: a list entry matches
// the full module name or a "."-separated suffix; a string full-matches.
func (t targets) matches(module string) bool {
	switch {
	case t.allLinear:
		return !strings.HasSuffix(module, "lm_head") && !strings.HasSuffix(module, "output")
	case t.re != nil:
		return t.re.MatchString(module)
	}
	for _, e := range t.list {
		if entryMatches(e, module) {
			return true
		}
	}
	return false
}

func entryMatches(entry, module string) bool {
	return module == entry || strings.HasSuffix(module, "."+entry)
}

// patternValue returns the value of the first pattern key matching module
// as PEFT's get_pattern_key does: re.match(rf"(.*\.)?({key})$", module).
func patternValue[V any](patterns map[string]V, module string) (V, bool, error) {
	var zero V
	keys := sortedKeys(patterns)
	for _, k := range keys {
		re, err := regexp.Compile(`^(.*\.)?(` + k + `)$`)
		if err != nil {
			return zero, false, fmt.Errorf("pattern %q: %w", k, err)
		}
		if re.MatchString(module) {
			return patterns[k], true, nil
		}
	}
	return zero, false, nil
}
