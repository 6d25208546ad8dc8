package compat

import (
	"fmt"
	"sort"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Rule is one compatibility rule: a stable code, its severity and what it
// enforces.
type Rule struct {
	Code     string
	Severity string
	Summary  string
}

const (
	sevErr  = specv1.SeverityError
	sevWarn = specv1.SeverityWarning
)

// Rules returns every rule, sorted by code.
func Rules() []Rule {
	rs := []Rule{
		{"files.missing", sevErr, "a file the runtime needs is absent"},
		{"files.mixed_layout", sevErr, "native consolidated*.safetensors next to HF model*.safetensors"},
		{"files.malformed", sevErr, "a file cannot be parsed"},
		{"tokenizer.multiple", sevErr, "more than one tokenizer file for a mistral runtime"},
		{"tokenizer.unrecognized", sevErr, "a SentencePiece file name with an unknown version suffix"},
		{"tokenizer.required_special", sevErr, "a special token the tokenizer version requires is absent"},
		{"weights.sharded", sevErr, "mistral-inference loads one consolidated file, not shards"},
		{"weights.multiple", sevErr, "consolidated.safetensors and consolidated.00.pth together"},
		{"weights.index", sevErr, "the shard index and the shard files disagree"},
		{"params.invalid", sevErr, "params.json (or config.json) lacks a required key or has a wrong value"},
		{"params.tensor_missing", sevErr, "a tensor params.json (or config.json) implies is absent"},
		{"params.tensor_shape", sevErr, "a tensor's shape differs from what params.json (or config.json) implies"},
		{"tensor.unexpected", sevErr, "a tensor the runtime does not expect"},
		{"config.params_mismatch", sevErr, "config.json and params.json disagree"},
		{"tekken.version", sevErr, "unknown tekken config.version"},
		{"tekken.special_missing", sevErr, "no special_tokens list for a version above v7"},
		{"tekken.multimodal", sevErr, "legacy multimodal section with a version above v11"},
		{"tekken.model_settings", sevErr, "model_settings_builder with a version below v15"},
		{"tekken.vocab_size", sevErr, "default_vocab_size does not fit the vocab and specials"},
		{"tekken.special_duplicate", sevErr, "two special tokens with the same token_str"},
		{"tekken.special_count", sevErr, "more special tokens than default_num_special_tokens"},
		{"tekken.special_rank", sevErr, "special_tokens[i].rank differs from i"},
		{"tekken.vocab_keys", sevErr, "a vocab entry without exactly rank, token_bytes, token_str"},
		{"tekken.vocab_rank", sevErr, "vocab[i].rank differs from i"},
		{"tekken.byte_tokens", sevErr, "the first 256 vocab entries are not the single bytes in order"},
		{"tekken.duplicate_bytes", sevErr, "two vocab entries with the same bytes"},
		{"tekken.pattern", sevErr, "empty pre-tokenizer pattern"},
		{"vocab.tokenizer", sevErr, "params/config vocab_size differs from the tokenizer's size"},
		{"vocab.embedding_rows", sevErr, "embedding or output rows differ from vocab_size"},
		{"eos.missing", sevErr, "no end-of-sequence token"},
		{"eos.mismatch", sevErr, "EOS ids disagree across files"},
		{"bos.mismatch", sevErr, "BOS ids disagree across files"},
		{"pad.equals_eos", sevWarn, "the padding token is the EOS token"},
		{"pad.out_of_range", sevErr, "pad_token_id is not below vocab_size"},
		{"pad.mismatch", sevWarn, "PAD ids disagree across files"},
		{"template.mismatch", sevWarn, "chat_template.jinja and tokenizer_config.json's template differ"},
		{"template.render", sevErr, "the chat template fails to compile or render"},
		{"template.tools_unsupported", sevWarn, "the chat template refuses tool-call conversations"},
		{"template.unchecked", sevWarn, "the chat template cannot be rendered safely (recursive macro)"},
		{"template.missing", sevWarn, "no chat template for transformers"},
		{"template.train_mismatch", sevErr, "the adapter's training template renders other text"},
		{"vision.no_image_tokens", sevErr, "an image config without [IMG], [IMG_BREAK], [IMG_END]"},
		{"vision.no_image_config", sevErr, "a vision encoder without the runtime's image config"},
		{"vision.patch_size", sevErr, "patch sizes differ between model and image config"},
		{"vision.merge_size", sevErr, "spatial merge sizes differ between model and image config"},
		{"vision.token_id", sevErr, "image token ids differ between model and tokenizer"},
		{"vision.image_size", sevWarn, "maximum image sizes differ between model and image config"},
		{"lora.format", sevWarn, "a mistral-finetune adapter vLLM cannot serve"},
		{"lora.config", sevErr, "adapter_config.json lacks what vLLM needs (LORA, r, lora_alpha, target_modules)"},
		{"lora.modules_to_save", sevErr, "vLLM refuses modules_to_save"},
		{"lora.dora", sevErr, "vLLM refuses DoRA adapters"},
		{"lora.rslora", sevWarn, "older vLLM versions refuse use_rslora"},
		{"id.latest", sevErr, "a moving -latest model id"},
		{"id.retired", sevWarn, "a model id on the retirement list"},
		{"check.internal", sevErr, "a rule crashed on this input (a bug in ckpt)"},
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Code < rs[j].Code })
	return rs
}

// severityOf returns the severity of a rule code (error when unknown).
func severityOf(code string) string {
	for _, r := range Rules() {
		if r.Code == code {
			return r.Severity
		}
	}
	return sevErr
}

// report collects findings for one check run.
type report struct {
	sev      map[string]string
	findings []specv1.Finding
}

func newReport() *report {
	r := &report{sev: map[string]string{}}
	for _, rule := range Rules() {
		r.sev[rule.Code] = rule.Severity
	}
	return r
}

// add records a finding for code about file (and path inside it).
func (r *report) add(code, file, path, format string, a ...any) {
	sev, ok := r.sev[code]
	if !ok {
		sev = sevErr
	}
	r.findings = append(r.findings, specv1.Finding{Code: code, Severity: sev, File: file,
		Path: path, Message: fmt.Sprintf(format, a...)})
}

// sorted returns the findings deduplicated, errors first, then by file,
// code, path and message.
func (r *report) sorted() []specv1.Finding {
	seen := map[specv1.Finding]bool{}
	var out []specv1.Finding
	for _, f := range r.findings {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity != b.Severity {
			return a.Severity == sevErr
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
	return out
}
