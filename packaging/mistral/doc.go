// Package mistral knows the Mistral checkpoint layouts: the native
// params.json + consolidated*.safetensors folder of mistral-inference and
// mistral-finetune, and the Hugging Face config.json + model*.safetensors
// folder of transformers. It parses params.json (unknown keys kept), lists
// the tensors a model must have (dense, MoE, vision), maps native names to
// HF names and back, applies the q/k rotary row permutation both ways, and
// detects a folder's layout.
package mistral
