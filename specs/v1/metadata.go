package v1

import "encoding/json"

// Metadata is the config of every artifact in the local store
// (media type MediaTypeArtifactConfig). Plugins return it as the result of a
// step run; the host stores it as the artifact's config blob. Fields a step
// does not know are left empty and omitted.
type Metadata struct {
	// Kind is the step kind that produced the artifact: model, adapter,
	// dataset, merge, export, runner, check, eval, bundle or push.
	Kind string `json:"kind"`
	// ID is a pinned model or adapter id, e.g. "mistral-7b-instruct-v0.3".
	ID string `json:"id,omitempty"`
	// Format is the checkpoint layout: "mistral" (native) or "hf".
	Format       string `json:"format,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	// DType is the dominant tensor dtype: bf16, fp16 or fp32.
	DType string `json:"dtype,omitempty"`
	// Params holds the model's hyperparameters (params.json or config.json).
	Params json.RawMessage `json:"params,omitempty"`
	// License is an SPDX license expression (LicenseRef-* allowed).
	License string `json:"license,omitempty"`
	// Lineage lists every input the artifact is made of, transitively.
	Lineage []Lineage `json:"lineage,omitempty"`
	// Notices are notice texts that a license requires to travel with the
	// artifact; carried forward by every step.
	Notices []string `json:"notices,omitempty"`
	// Findings are check results; a finding with severity "error" fails the
	// step unless the step says on_failure = "warn".
	Findings []Finding `json:"findings,omitempty"`
	// Training is the training metadata of an adapter (dataset, hyperparameters...).
	Training json.RawMessage `json:"training,omitempty"`
	// Outputs are extra step outputs a spec may reference as KIND.NAME.ATTR
	// (strings only), e.g. a bundle's manifest digest or a push's reference.
	Outputs map[string]string `json:"outputs,omitempty"`
	// Extra holds kind-specific data (an eval's metrics, an adapter's rank...).
	Extra json.RawMessage `json:"extra,omitempty"`
}

// Lineage is one input of an artifact.
type Lineage struct {
	// Role is base, adapter or dataset.
	Role    string `json:"role"`
	ID      string `json:"id,omitempty"`
	Digest  string `json:"digest,omitempty"`
	License string `json:"license,omitempty"`
	// Step is the address of the step that produced the input, e.g. model.base.
	Step string `json:"step,omitempty"`
}

// Severity of a finding or diagnostic.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Finding is one result of a check: a stable code, a severity, the file (and
// JSON path or tensor) it concerns and a message a user can act on.
type Finding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	// Path is a JSON path or a tensor name inside File.
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}
