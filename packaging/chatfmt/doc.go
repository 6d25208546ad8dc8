// Package chatfmt is the canonical chat format of each Mistral tokenizer
// version: the text (and, with an encoder, the ids) that mistral-common's
// instruct tokenizers produce for a chat completion request, after its
// request validator and normalizer have run. It also runs a chat template
// over a conversation suite and reports where the template's text first
// departs from the canonical one.
package chatfmt
