// Package runner produces a model's outputs for prompts by calling a
// runtime: an OpenAI-compatible endpoint (optionally a server the runner
// starts for the run, such as vLLM or llama.cpp's server) or a managed
// Ollama server that loads one GGUF file by digest.
//
// Runners send the prompt ckpt rendered, raw (a completions endpoint,
// Ollama's raw generate mode), so that the runtime never applies a chat
// template of its own, unless a request carries messages instead
// (template = "runtime"). Generation is deterministic (temperature 0, a
// fixed seed, a token budget, the tokenizer's EOS as stop) and recorded in
// Info. Transient failures (HTTP 5xx and 429, a reset or refused
// connection) are retried with backoff; every request and every run has a
// timeout; every error names the endpoint and the phase (start, ready,
// models, upload, create, generate, stop). API keys are read from the
// environment and never appear in an error, a log line or Info.
package runner
