package compat

import (
	"fmt"
	"sort"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Code is a rule's stable identifier, the code of its findings.
type Code string

// The rules' codes. Each is declared once, with its severity and summary,
// in Rules; packaging/synth/breaks keys its deliberate breaks by them.
const (
	FilesMissing             Code = "files.missing"
	FilesMixedLayout         Code = "files.mixed_layout"
	FilesMalformed           Code = "files.malformed"
	TokenizerMultiple        Code = "tokenizer.multiple"
	TokenizerUnrecognized    Code = "tokenizer.unrecognized"
	TokenizerRequiredSpecial Code = "tokenizer.required_special"
	WeightsSharded           Code = "weights.sharded"
	WeightsMultiple          Code = "weights.multiple"
	WeightsIndex             Code = "weights.index"
	ParamsInvalid            Code = "params.invalid"
	ParamsTensorMissing      Code = "params.tensor_missing"
	ParamsTensorShape        Code = "params.tensor_shape"
	TensorUnexpected         Code = "tensor.unexpected"
	ConfigParamsMismatch     Code = "config.params_mismatch"
	TekkenVersion            Code = "tekken.version"
	TekkenSpecialMissing     Code = "tekken.special_missing"
	TekkenMultimodal         Code = "tekken.multimodal"
	TekkenModelSettings      Code = "tekken.model_settings"
	TekkenVocabSize          Code = "tekken.vocab_size"
	TekkenSpecialDuplicate   Code = "tekken.special_duplicate"
	TekkenSpecialCount       Code = "tekken.special_count"
	TekkenSpecialRank        Code = "tekken.special_rank"
	TekkenVocabKeys          Code = "tekken.vocab_keys"
	TekkenVocabRank          Code = "tekken.vocab_rank"
	TekkenByteTokens         Code = "tekken.byte_tokens"
	TekkenDuplicateBytes     Code = "tekken.duplicate_bytes"
	TekkenPattern            Code = "tekken.pattern"
	VocabTokenizer           Code = "vocab.tokenizer"
	VocabEmbeddingRows       Code = "vocab.embedding_rows"
	EOSMissing               Code = "eos.missing"
	EOSMismatch              Code = "eos.mismatch"
	BOSMismatch              Code = "bos.mismatch"
	PadEqualsEOS             Code = "pad.equals_eos"
	PadOutOfRange            Code = "pad.out_of_range"
	PadMismatch              Code = "pad.mismatch"
	TemplateMismatch         Code = "template.mismatch"
	TemplateRender           Code = "template.render"
	TemplateToolsUnsupported Code = "template.tools_unsupported"
	TemplateUnchecked        Code = "template.unchecked"
	TemplateMissing          Code = "template.missing"
	TemplateTrainMismatch    Code = "template.train_mismatch"
	TemplateCanonical        Code = "template.canonical"
	VisionNoImageTokens      Code = "vision.no_image_tokens"
	VisionNoImageConfig      Code = "vision.no_image_config"
	VisionPatchSize          Code = "vision.patch_size"
	VisionMergeSize          Code = "vision.merge_size"
	VisionTokenID            Code = "vision.token_id"
	VisionImageSize          Code = "vision.image_size"
	LoRAFormat               Code = "lora.format"
	LoRAConfig               Code = "lora.config"
	LoRAModulesToSave        Code = "lora.modules_to_save"
	LoRADoRA                 Code = "lora.dora"
	LoRARSLoRA               Code = "lora.rslora"
	LoRARank                 Code = "lora.rank"
	LoRAMaxRank              Code = "lora.max_lora_rank"
	LoRATargets              Code = "lora.target_modules"
	IDLatest                 Code = "id.latest"
	IDRetired                Code = "id.retired"
	CheckInternal            Code = "check.internal"
)

// Rule is one compatibility rule: a stable code, its severity and what it
// enforces.
type Rule struct {
	Code     Code
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
		{FilesMissing, sevErr, "a file the runtime needs is absent"},
		{FilesMixedLayout, sevErr, "native consolidated*.safetensors next to HF model*.safetensors"},
		{FilesMalformed, sevErr, "a file cannot be parsed"},
		{TokenizerMultiple, sevErr, "more than one tokenizer file for a mistral runtime"},
		{TokenizerUnrecognized, sevErr, "a SentencePiece file name with an unknown version suffix"},
		{TokenizerRequiredSpecial, sevErr, "a special token the tokenizer version requires is absent"},
		{WeightsSharded, sevErr, "mistral-inference loads one consolidated file, not shards"},
		{WeightsMultiple, sevErr, "consolidated.safetensors and consolidated.00.pth together"},
		{WeightsIndex, sevErr, "the shard index and the shard files disagree"},
		{ParamsInvalid, sevErr, "params.json (or config.json) lacks a required key or has a wrong value"},
		{ParamsTensorMissing, sevErr, "a tensor params.json (or config.json) implies is absent"},
		{ParamsTensorShape, sevErr, "a tensor's shape differs from what params.json (or config.json) implies"},
		{TensorUnexpected, sevErr, "a tensor the runtime does not expect"},
		{ConfigParamsMismatch, sevErr, "config.json and params.json disagree"},
		{TekkenVersion, sevErr, "unknown tekken config.version"},
		{TekkenSpecialMissing, sevErr, "no special_tokens list for a version above v7"},
		{TekkenMultimodal, sevErr, "legacy multimodal section with a version above v11"},
		{TekkenModelSettings, sevErr, "model_settings_builder with a version below v15"},
		{TekkenVocabSize, sevErr, "default_vocab_size does not fit the vocab and specials"},
		{TekkenSpecialDuplicate, sevErr, "two special tokens with the same token_str"},
		{TekkenSpecialCount, sevErr, "more special tokens than default_num_special_tokens"},
		{TekkenSpecialRank, sevErr, "special_tokens[i].rank differs from i"},
		{TekkenVocabKeys, sevErr, "a vocab entry without exactly rank, token_bytes, token_str"},
		{TekkenVocabRank, sevErr, "vocab[i].rank differs from i"},
		{TekkenByteTokens, sevErr, "the first 256 vocab entries are not the single bytes in order"},
		{TekkenDuplicateBytes, sevErr, "two vocab entries with the same bytes"},
		{TekkenPattern, sevErr, "empty pre-tokenizer pattern"},
		{VocabTokenizer, sevErr, "params/config vocab_size differs from the tokenizer's size"},
		{VocabEmbeddingRows, sevErr, "embedding or output rows differ from vocab_size"},
		{EOSMissing, sevErr, "no end-of-sequence token"},
		{EOSMismatch, sevErr, "EOS ids disagree across files"},
		{BOSMismatch, sevErr, "BOS ids disagree across files"},
		{PadEqualsEOS, sevWarn, "the padding token is the EOS token"},
		{PadOutOfRange, sevErr, "pad_token_id is not below vocab_size"},
		{PadMismatch, sevWarn, "PAD ids disagree across files"},
		{TemplateMismatch, sevWarn, "chat_template.jinja and tokenizer_config.json's template differ"},
		{TemplateRender, sevErr, "the chat template fails to compile or render"},
		{TemplateToolsUnsupported, sevWarn, "the chat template refuses tool-call conversations"},
		{TemplateUnchecked, sevWarn, "the chat template cannot be rendered safely (recursive macro)"},
		{TemplateMissing, sevWarn, "no chat template for transformers"},
		{TemplateTrainMismatch, sevErr, "the adapter's training template renders other text"},
		{TemplateCanonical, sevErr, "the chat template renders other text than the tokenizer version's canonical format"},
		{VisionNoImageTokens, sevErr, "an image config without [IMG], [IMG_BREAK], [IMG_END]"},
		{VisionNoImageConfig, sevErr, "a vision encoder without the runtime's image config"},
		{VisionPatchSize, sevErr, "patch sizes differ between model and image config"},
		{VisionMergeSize, sevErr, "spatial merge sizes differ between model and image config"},
		{VisionTokenID, sevErr, "image token ids differ between model and tokenizer"},
		{VisionImageSize, sevWarn, "maximum image sizes differ between model and image config"},
		{LoRAFormat, sevWarn, "a mistral-finetune adapter vLLM cannot serve"},
		{LoRAConfig, sevErr, "adapter_config.json lacks what vLLM needs (LORA, lora_alpha)"},
		{LoRARank, sevErr, "r (or a rank_pattern value) is not a positive integer up to 512, vLLM's largest max_lora_rank"},
		{LoRAMaxRank, sevWarn, "r is above vLLM's default max_lora_rank 16: serving needs --max-lora-rank"},
		{LoRATargets, sevErr, "target_modules is missing, empty, or neither a list of names nor a regex string"},
		{LoRAModulesToSave, sevErr, "vLLM refuses modules_to_save"},
		{LoRADoRA, sevErr, "vLLM refuses DoRA adapters"},
		{LoRARSLoRA, sevWarn, "older vLLM versions refuse use_rslora"},
		{IDLatest, sevErr, "a moving -latest model id"},
		{IDRetired, sevWarn, "a model id on the retirement list"},
		{CheckInternal, sevErr, "a rule crashed on this input (a bug in ckpt)"},
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Code < rs[j].Code })
	return rs
}

// report collects findings for one check run.
type report struct {
	sev      map[Code]string
	findings []specv1.Finding
}

func newReport() *report {
	r := &report{sev: map[Code]string{}}
	for _, rule := range Rules() {
		r.sev[rule.Code] = rule.Severity
	}
	return r
}

// add records a finding for code about file (and path inside it).
func (r *report) add(code Code, file, path, format string, a ...any) {
	sev, ok := r.sev[code]
	if !ok {
		sev = sevErr
	}
	r.findings = append(r.findings, specv1.Finding{Code: string(code), Severity: sev, File: file,
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
