// Package jsoneval is a strict-format evaluation of model outputs that must be
// JSON: it classifies each prediction (a strict JSON scanner that tells an
// unterminated value from an invalid one, with the byte offset, then a JSON
// Schema check), aggregates validity and per-field accuracy, applies a gate
// of thresholds and a baseline comparison, and writes the failures back as
// data (hard-cases.jsonl) with an eval report (eval-report.json).
//
// # Predictions bound to the weights
//
// The predictions are the target's own outputs: Generate renders each
// prompt (the chat dataset's JSONL shape) with the target's chat template,
// has a runner (packaging/runner) answer it raw and writes every row with
// the target's digest, the runner and its settings; the report records the
// prompts digest, the template version and what answered. Static
// predictions are accepted only when every row carries the target's
// digest (Stamp marks outputs produced elsewhere); ids are unique. A
// baseline measured on another prompts digest is refused. Failures are
// clustered by category, tag, input length in characters and in the
// model's tokens (as the runtime counted them) and template version;
// ToDataset turns hard cases with an expected answer into chat training
// rows.
//
// # Strictness
//
// An output is clean when, after optional JSON whitespace (space, tab, CR,
// LF), it begins with '{' or '[', holds exactly one RFC 8259 value and ends
// with optional JSON whitespace. Any other leading character is
// no_json_start; an output that is empty or only whitespace is also
// no_json_start. Anything but whitespace after the value is trailing_text. A
// top-level scalar ("42", "\"ok\"") is no_json_start: the consumer expects an
// object or an array. Extraction (Extract) may pull the value out of a
// Markdown code fence or out of surrounding prose; such outputs are counted
// as valid but apart from the clean ones.
//
// # Field accuracy
//
// When a prediction carries `expected` and it is an object, each top-level
// field of it is one unit of accuracy: the field matches when the output
// (parsed, even if it then failed the schema) has a field of the same name
// whose value is equal. Nested objects and arrays are compared whole (deep
// equality, object key order ignored, numbers compared by value), so one
// wrong leaf makes the whole top-level field wrong. An expected value that is
// not an object is one field named "$". Outputs that do not parse score zero
// on every field.
package jsoneval
