// Package gguf reads and writes GGUF v3 files, llama.cpp's model format,
// and converts Mistral checkpoints and LoRA adapters to it.
//
// The format layer is [Read]/[ReadFile] (header, typed metadata with
// arrays, tensor infos, alignment; every count and length checked against
// the file size before anything is allocated) and [Writer] (header first,
// then each tensor's data streamed in tensor-info order, each padded to
// general.alignment, default 32). Output is deterministic: same input,
// same bytes, whatever the worker count.
//
// [Quantize] ports ggml-quants.c's reference quantizers (quantize_row_*_ref:
// Q8_0, Q5_0, Q4_K, Q6_K, with make_qkx2_quants and make_qx_quants) and
// is byte-identical to llama.cpp's llama_model_quantize of the node-llama-cpp
// 3.21.1 build; F16 and BF16 round to nearest even. [FileQ4_KM] is that
// build's Q4_K_M recipe (llama-quant.cpp): Q6_K for output.weight (and a
// tied token_embd), for attn_v and ffn_down where use_more_bits holds, Q4_K
// elsewhere, with its fallbacks for rows that are not a multiple of 256.
// Norms are always F32.
//
// The two calls the export step makes:
//
//	// A model folder, native (params.json + consolidated*.safetensors) or
//	// HF (config.json + model*.safetensors, sharded or not), to one file.
//	err := gguf.Export(ctx, srcDir, "out/support-assistant-Q4_K_M.gguf", gguf.Options{
//		Type:       gguf.FileQ4_KM,          // f32 f16 bf16 q8_0 q6_k q4_k_m
//		Name:       "support-assistant",     // general.name
//		License:    "Apache-2.0",            // general.license (SPDX)
//		BaseModels: []gguf.BaseModel{{Name: "mistral-7b-instruct-v0.3"}},
//	})
//
//	// A PEFT or mistral-finetune adapter for that base to a LoRA GGUF that
//	// llama.cpp (and Ollama's ADAPTER) applies at load time.
//	err = gguf.ExportAdapter(ctx, adapterDir, srcDir, "out/support-lora.gguf",
//		gguf.AdapterOptions{Format: peft.FormatPEFT, License: "Apache-2.0"})
//
// Export maps the dense Mistral architecture to llama.cpp's "llama": tensor
// names, HF q/k rows un-permuted back to Mistral's interleaved rotary order
// (native weights go in as they are), tied embeddings (no output.weight),
// rms eps, rope theta, context length, head and KV-head counts, key/value
// lengths when head_dim ≠ dim/n_heads; tekken.json becomes a "gpt2" vocab
// with pre-tokenizer "tekken" (specials first, then BPE ranks in GPT-2
// byte-to-unicode spelling, merges recovered from the ranks as gguf-py's
// MistralVocab does), a SentencePiece tokenizer.model(.v*) a "llama" vocab
// with scores and types, and chat_template.jinja (or tokenizer_config.json's
// chat_template) tokenizer.chat_template. It refuses MoE, vision and
// unknown architectures, tensors whose shape contradicts the config and
// tokenizers it cannot convert faithfully, with errors naming the file and
// tensor (ErrUnsupported, ErrShape, ErrTokenizer), before writing anything;
// the output appears complete or not at all (internal/state's atomic file).
// Tensors are converted in chunks of a few MiB on every core with bounded
// memory; tensors whose bytes do not change are copied by the kernel.
package gguf
