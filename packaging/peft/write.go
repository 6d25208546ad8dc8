package peft

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
)

// TensorName returns the adapter file's tensor name for a module's lora_A
// or lora_B weight (which is "A" or "B").
func TensorName(f Format, module, which string) string {
	n := module + ".lora_" + which + ".weight"
	if f == FormatPEFT {
		return "base_model.model." + n
	}
	return n
}

// WritePEFT writes adapter_config.json (indented, as PEFT saves it) and
// adapter_model.safetensors with {"format":"pt"} metadata.
func WritePEFT(dir string, cfg *Config, tensors []safetensors.Tensor) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, PEFTConfigFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return safetensors.WriteFile(filepath.Join(dir, PEFTWeightsFile), tensors, safetensors.WriteOptions{})
}

// WriteMistralFinetune writes params.json (with its "lora" block) and
// lora.safetensors without metadata, as mistral-finetune saves them.
func WriteMistralFinetune(dir string, params *mistral.Params, tensors []safetensors.Tensor) error {
	if params.LoRA == nil {
		return fmt.Errorf("params.json needs a lora block")
	}
	b, err := json.MarshalIndent(params, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, MFParamsFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return safetensors.WriteFile(filepath.Join(dir, MFWeightsFile), tensors, safetensors.WriteOptions{NoMetadata: true})
}
