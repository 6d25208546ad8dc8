package v1

import "encoding/json"

// Component names one step type a plugin provides, with its schema.
type Component struct {
	Kind        string `json:"kind"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	Schema      Schema `json:"schema"`
	// Outputs names the Metadata.Outputs keys the step sets. A spec may
	// reference KIND.NAME.ATTR for these and for the outputs every step has
	// (CoreOutputs).
	Outputs []string `json:"outputs,omitempty"`
	// Capabilities tell the core how to schedule, cache and record the step.
	Capabilities Capabilities `json:"capabilities,omitzero"`
}

// coreOutputs are the outputs of every step a spec may reference as
// KIND.NAME.ATTR, sorted, each with how it is read from the artifact.
var coreOutputs = []struct {
	name string
	get  func(m *Metadata, digest string) string
}{
	{"architecture", func(m *Metadata, _ string) string { return m.Architecture }},
	{"digest", func(_ *Metadata, digest string) string { return digest }},
	{"dtype", func(m *Metadata, _ string) string { return m.DType }},
	{"format", func(m *Metadata, _ string) string { return m.Format }},
	{"id", func(m *Metadata, _ string) string { return m.ID }},
	{"kind", func(m *Metadata, _ string) string { return m.Kind }},
	{"license", func(m *Metadata, _ string) string { return m.License }},
}

// CoreOutputs returns the names of the outputs every step has, sorted: the
// artifact's manifest digest and its Metadata fields.
func CoreOutputs() []string {
	out := make([]string, len(coreOutputs))
	for i, o := range coreOutputs {
		out[i] = o.name
	}
	return out
}

// OutputValues returns the outputs a spec may reference of an artifact
// with metadata m and manifest digest: the non-empty core outputs,
// overridden by m.Outputs.
func OutputValues(m *Metadata, digest string) map[string]string {
	out := map[string]string{}
	for _, o := range coreOutputs {
		if v := o.get(m, digest); v != "" {
			out[o.name] = v
		}
	}
	for k, v := range m.Outputs {
		out[k] = v
	}
	return out
}

// Address is the spec address of a component's step, KIND.TYPE.
func (c Component) Address() string { return c.Kind + "." + c.Type }

// PluginID identifies the plugin binary that runs a component. Digest is the
// sha256 of the binary ("sha256:..."); it is part of every cache key.
type PluginID struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// Input is one input artifact handed to a step.
type Input struct {
	// Step is the producing step's address, e.g. "model.base".
	Step string `json:"step"`
	// Attr is the config attribute that referenced it ("base", "adapters"),
	// AttrGate for a gate the step waits for (Capabilities.Gated),
	// AttrBaseline for its ledger baseline, or "depends_on".
	Attr string `json:"attr"`
	// Dir is a read-only folder holding the artifact's files.
	Dir string `json:"dir"`
	// Digest is the artifact's manifest digest in the store.
	Digest   string   `json:"digest"`
	Metadata Metadata `json:"metadata"`
	// Remote, for a step whose component declares
	// Capabilities.RemoteInputs in a build with a remote cache, names the
	// cache and lists the artifact's files that Dir lacks (none when the
	// local store has them all); nil otherwise.
	Remote *Remote `json:"remote,omitempty"`
}

// Remote says where the files of an input that its Dir lacks are: blobs in
// a registry repository (the remote cache). It never holds credentials: a
// plugin opens the repository with the Docker config, as for a push.
type Remote struct {
	// Repository is the registry repository, host[:port]/path.
	Repository string `json:"repository"`
	// PlainHTTP talks plain HTTP to it (local test registries).
	PlainHTTP bool `json:"plain_http,omitempty"`
	// Missing are the files not in Dir, sorted by path.
	Missing []RemoteFile `json:"missing"`
}

// RemoteFile is one file of an input that only Remote.Repository holds: the
// blob Digest, of Size bytes, is its content.
type RemoteFile struct {
	// Path is the file's slash-separated path relative to Input.Dir.
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// RunRequest asks a plugin to run one step.
type RunRequest struct {
	Kind string `json:"kind"`
	Type string `json:"type"`
	// Step is the step's address, KIND.NAME.
	Step string `json:"step"`
	// Config is the step's decoded configuration as a JSON object.
	Config json.RawMessage `json:"config"`
	Inputs []Input         `json:"inputs,omitempty"`
	// OutputDir is an empty folder: every file the step writes there becomes
	// part of its artifact. A plugin writes nowhere else but ScratchDir.
	OutputDir  string `json:"output_dir"`
	ScratchDir string `json:"scratch_dir"`
	// SpecDir is the folder of the spec, for reference only; paths in Config
	// are already absolute.
	SpecDir string `json:"spec_dir,omitempty"`
	// Build describes the build the step runs in, for provenance.
	Build *BuildInfo `json:"build,omitempty"`
	// Transport is how a step that talks to registries reaches them, set
	// by the user for the whole build (ckpt push --plain-http); nil: the
	// defaults (HTTPS).
	Transport *Transport `json:"transport,omitempty"`
}

// Transport holds the build-wide registry connection settings.
type Transport struct {
	// PlainHTTP talks plain HTTP to registries (local test registries).
	PlainHTTP bool `json:"plain_http,omitempty"`
}

// BuildInfo describes a build for provenance records (SLSA): what ran, on
// which spec, with which variables and plugins. Sensitive variables are
// redacted before they reach it.
type BuildInfo struct {
	CkptVersion string            `json:"ckpt_version"`
	SpecDigest  string            `json:"spec_digest"`
	Variables   map[string]string `json:"variables,omitempty"`
	// Steps lists every step of the build that ran before this one.
	Steps []BuildStep `json:"steps,omitempty"`
}

// BuildStep is one step of a build, as recorded in provenance.
type BuildStep struct {
	Step           string `json:"step"`
	CacheKey       string `json:"cache_key"`
	ArtifactDigest string `json:"artifact_digest"`
	Plugin         string `json:"plugin"`
	PluginVersion  string `json:"plugin_version"`
	PluginDigest   string `json:"plugin_digest"`
}

// InputsFor returns the inputs referenced by attribute attr, in order.
func (r *RunRequest) InputsFor(attr string) []Input {
	var out []Input
	for _, in := range r.Inputs {
		if in.Attr == attr {
			out = append(out, in)
		}
	}
	return out
}

// Diagnostic is a problem a plugin reports about a step's configuration or run.
type Diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	// Path is the attribute path in the config, e.g. ["adapters", "0"]; the
	// host maps it to the exact spec range.
	Path []string `json:"path,omitempty"`
	Code string   `json:"code,omitempty"`
}

// ValidateRequest asks a plugin to check a config before any run.
type ValidateRequest struct {
	Kind   string          `json:"kind"`
	Type   string          `json:"type"`
	Step   string          `json:"step"`
	Config json.RawMessage `json:"config"`
	// Inputs carry metadata only (no Dir) when the inputs are already built.
	Inputs []Input `json:"inputs,omitempty"`
}
