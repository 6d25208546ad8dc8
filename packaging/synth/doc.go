// Package synth writes format-faithful synthetic Mistral checkpoints and
// LoRA adapters for tests, demos and benchmarks: native (params.json +
// consolidated.safetensors) or HF (config.json + model*.safetensors) models
// with a valid small tekken.json, generation and tokenizer configs and a
// chat template, and PEFT or mistral-finetune adapters for them.
//
// Weights are drawn from N(0, 0.02²) (norms are 1), deterministic for a seed
// and independent of the order or parallelism of generation: every row of a
// tensor has its own generator seeded from the seed, the tensor's native
// name and the native row index. An HF model is therefore the exact
// conversion of the native model of the same seed (q/k rows permuted), and
// adapters of both formats are twins. Files are written in row ranges of
// about 1 Mi elements, so a multi-GB model needs a few MB of memory.
//
// The zero ModelOptions is a tiny model (dim 64, 2 layers, 4 heads, 2 KV
// heads, hidden 128, vocab 1280, bf16, native layout, seed 0).
//
// The other generators live beside it, apart from the checkers they feed:
// breaks (a model broken so that one packaging/compat rule fires), chatset
// (chat fine-tuning data with planted defects, for packaging/chatdata) and
// evalset (structured-output predictions with planted defects, for
// packaging/jsoneval).
package synth
