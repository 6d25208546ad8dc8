// Package lora is the merge engine: W' = W + Σ wᵢ·sᵢ·Bᵢ·Aᵢ for PEFT and
// mistral-finetune adapters, streamed tensor by tensor (a bounded number at
// once, AVX2/FMA kernels on amd64, pure Go elsewhere) into the base model's
// own layout, native or HF (sharded as transformers shards). The output is
// bit-identical whatever the number of workers; on error or cancellation
// nothing is left in the output folder.
package lora
