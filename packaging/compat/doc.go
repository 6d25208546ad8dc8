// Package compat checks that a checkpoint folder can be loaded and served by
// a given runtime: vLLM in mistral mode, mistral-inference and transformers.
//
// Each rule is declared once in Rules: a Code constant (for example
// TokenizerMultiple, "tokenizer.multiple"), a severity and a summary; every
// finding carries its rule's code and an actionable message. The deliberate
// break that makes each rule fire lives in packaging/synth/breaks, keyed by
// the same constants;
// a profile names the files a runtime needs and the rules it applies. Check
// runs the profiles over a folder and returns specs/v1 Findings. Broken or
// missing files are findings, never crashes.
//
// The facts the rules enforce (loader requirements, tekken.json validation,
// EOS/PAD agreement, vision files, model ids) come from mistral-common,
// mistral-inference, vLLM and transformers; see formats.md in the project's
// shared reference. Chat templates are rendered with github.com/ardanlabs/jinja
// with the semantics of transformers' apply_chat_template.
package compat
