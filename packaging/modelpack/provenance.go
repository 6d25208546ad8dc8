package modelpack

import (
	"sort"
	"strings"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// In-toto and SLSA identifiers of the provenance referrer.
const (
	StatementType      = "https://in-toto.io/Statement/v1"
	PredicateSLSA      = "https://slsa.dev/provenance/v1"
	BuildType          = "https://ckpt.dev/build/v1"
	BuilderID          = "https://ckpt.dev/ckpt"
	MediaTypeInToto    = "application/vnd.in-toto+json"
	AnnotationPredType = "in-toto.io/predicate-type"
)

// Statement is an in-toto v1 statement with a SLSA provenance v1 predicate.
type Statement struct {
	Type          string         `json:"_type"`
	Subject       []ResourceDesc `json:"subject"`
	PredicateType string         `json:"predicateType"`
	Predicate     SLSAProvenance `json:"predicate"`
}

// ResourceDesc is an in-toto resource descriptor.
type ResourceDesc struct {
	Name   string            `json:"name,omitempty"`
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
}

// SLSAProvenance is the SLSA v1 provenance predicate.
type SLSAProvenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition says what was built from what.
type BuildDefinition struct {
	BuildType            string         `json:"buildType"`
	ExternalParameters   ExternalParams `json:"externalParameters"`
	InternalParameters   InternalParams `json:"internalParameters,omitzero"`
	ResolvedDependencies []ResourceDesc `json:"resolvedDependencies,omitempty"`
}

// ExternalParams are the user's inputs: the spec and its variables
// (sensitive ones are redacted before they reach the build info).
type ExternalParams struct {
	Spec      ResourceDesc      `json:"spec"`
	Step      string            `json:"step,omitempty"`
	Variables map[string]string `json:"variables,omitempty"`
}

// InternalParams record the steps of the build.
type InternalParams struct {
	Steps []Step `json:"steps,omitempty"`
}

// Step is one step of the build that ran before the bundle. Cache keys are
// left out: they depend on where the spec lives, and the provenance of the
// same inputs must be the same everywhere.
type Step struct {
	Step           string `json:"step"`
	ArtifactDigest string `json:"artifact_digest,omitempty"`
	Plugin         string `json:"plugin,omitempty"`
	PluginVersion  string `json:"plugin_version,omitempty"`
	PluginDigest   string `json:"plugin_digest,omitempty"`
}

// RunDetails names the builder.
type RunDetails struct {
	Builder struct {
		ID      string            `json:"id"`
		Version map[string]string `json:"version,omitempty"`
	} `json:"builder"`
}

// NewProvenance returns the provenance statement of the manifest subject
// (named name), built by step from inputs within the build b (may be nil).
// Deterministic: no timestamps, sorted dependencies.
func NewProvenance(name string, subject ocispec.Descriptor, step string, b *specv1.BuildInfo, inputs []specv1.Input) Statement {
	s := Statement{Type: StatementType, PredicateType: PredicateSLSA,
		Subject: []ResourceDesc{{Name: name, Digest: digestMap(subject.Digest.String())}}}
	def := &s.Predicate.BuildDefinition
	def.BuildType = BuildType
	def.ExternalParameters.Step = step
	s.Predicate.RunDetails.Builder.ID = BuilderID
	deps := map[string]ResourceDesc{}
	for _, in := range inputs {
		deps["input:"+in.Step] = ResourceDesc{Name: in.Step, URI: "ckpt-store:" + in.Step, Digest: digestMap(in.Digest)}
	}
	if b != nil {
		def.ExternalParameters.Spec = ResourceDesc{Name: "spec", Digest: digestMap(b.SpecDigest)}
		def.ExternalParameters.Variables = b.Variables
		for _, st := range b.Steps {
			def.InternalParameters.Steps = append(def.InternalParameters.Steps, Step{Step: st.Step,
				ArtifactDigest: st.ArtifactDigest, Plugin: st.Plugin, PluginVersion: st.PluginVersion, PluginDigest: st.PluginDigest})
		}
		s.Predicate.RunDetails.Builder.Version = map[string]string{"ckpt": b.CkptVersion}
		for _, st := range b.Steps {
			deps["input:"+st.Step] = ResourceDesc{Name: st.Step, URI: "ckpt-store:" + st.Step, Digest: digestMap(st.ArtifactDigest)}
			if st.PluginDigest != "" {
				id := "plugin:" + st.Plugin + "@" + st.PluginVersion
				deps[id] = ResourceDesc{Name: id, URI: "ckpt-plugin:" + st.Plugin, Digest: digestMap(st.PluginDigest)}
			}
		}
	}
	keys := make([]string, 0, len(deps))
	for k := range deps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		def.ResolvedDependencies = append(def.ResolvedDependencies, deps[k])
	}
	return s
}

// JSON encodes the statement.
func (s Statement) JSON() ([]byte, error) { return marshalJSON(s) }

// digestMap turns "sha256:hex" into {"sha256": "hex"}.
func digestMap(d string) map[string]string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || hex == "" {
		return nil
	}
	return map[string]string{alg: hex}
}
