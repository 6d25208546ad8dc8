// Package peft reads, validates and writes LoRA adapters in the two formats
// Mistral models meet: PEFT (adapter_config.json + adapter_model.safetensors,
// HF tensor names) and mistral-finetune (lora.safetensors + params.json with
// a "lora" block and absolute scaling, native names).
//
// An adapter is validated against its base model before any merge: every
// module it adapts exists in the base, every lora_A is [r, in] and lora_B
// [out, r] for that module, and the rank matches the config. Variants that a
// plain W + s·B·A merge would get wrong (DoRA, modules_to_save, bias
// training, fan_in_fan_out, embedding LoRA) are refused with a clear message.
package peft
