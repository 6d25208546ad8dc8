// Package plan turns a loaded spec into a DAG of steps: it decodes every step
// body with the schema its plugin declared, reads references, adds gate
// edges, orders the steps and gives each a cache key. It is pure: no I/O
// beyond what the spec package already read.
package plan

import (
	"encoding/json"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// PluginID identifies the plugin binary that runs a component (declared in
// specs/v1, where the ledger's format can use it).
type PluginID = specv1.PluginID

// Component is a step type with the plugin that provides it.
type Component struct {
	specv1.Component
	Plugin PluginID
}

// Resolver finds the component that runs KIND "TYPE". The CLI wires one
// that knows the built-in plugin and the installed external plugins.
type Resolver interface {
	Resolve(kind, typ string) (Component, bool)
}

// Edge is a dependency of a step on another step.
type Edge struct {
	// Step is the address (KIND.NAME) of the step depended on.
	Step string `json:"step"`
	// Attr is the attribute that references it, "gate" (specv1.AttrGate)
	// for a gate edge the planner added, or "depends_on".
	Attr string `json:"attr"`
	// Gate marks an edge the planner added: a gate (a check or eval) that
	// must pass before a Gated step (a bundle) runs.
	Gate bool `json:"gate,omitempty"`
}

// Step is one planned step.
type Step struct {
	Address   string    `json:"address"` // KIND.NAME
	Kind      string    `json:"kind"`
	Type      string    `json:"type"`
	Name      string    `json:"name"`
	Component Component `json:"-"`
	// Config is the canonical JSON of the decoded config: references to
	// steps as addresses, paths absolute. Pending is true when it contains
	// values that depend on upstream outputs (see Graph.Resolve).
	Config  json.RawMessage `json:"config"`
	Pending bool            `json:"pending"`
	Inputs  []Edge          `json:"inputs,omitempty"`
	// Paths are the absolute paths of TypePath attributes; their content is
	// part of the cache key (fingerprinted by the run engine).
	Paths     []string `json:"paths,omitempty"`
	Timeout   string   `json:"timeout,omitempty"`    // Go duration, "" for none
	OnFailure string   `json:"on_failure,omitempty"` // "fail" (default) or "warn"
	// Key is "sha256:" over the canonical JSON of {plugin, kind, type,
	// config}, with path attributes relative to the spec folder (so a moved
	// checkout keeps its keys) and, for a pending step, only the known
	// attributes. The run engine extends it with input digests and path
	// fingerprints.
	Key string `json:"key"`
	// Sensitive are the config paths (attribute names, map keys, list
	// indexes) whose values derive from sensitive variables; ShownConfig
	// redacts them.
	Sensitive [][]string `json:"sensitive,omitempty"`
	DefRange  hcl.Range  `json:"-"`
	secrets   []string

	body hcl.Body
	spec hcldec.ObjectSpec
	refs map[string]hcl.Range // first reference range by upstream address
	// pathRanges are the spec ranges of Paths, index by index.
	pathRanges []hcl.Range
	order      int // source order, for stable diagnostics
	// invalid marks a step whose planning reported errors: its config is
	// not sent to its plugin's Validate.
	invalid bool
}

// Graph is a planned spec: its steps in topological order.
type Graph struct {
	// Steps are in topological order, ties broken by address.
	Steps []*Step `json:"steps"`
	// Dir is the spec folder, absolute.
	Dir string `json:"dir"`
	// Digest is "sha256:" over the spec files' names and bytes, sorted.
	Digest    string     `json:"digest"`
	Variables []Variable `json:"variables,omitempty"`
	// Cache is the spec's remote cache block, nil when it has none.
	Cache *spec.Cache `json:"-"`

	index   map[string]*Step
	scope   *scope
	secrets []string
}

// Variable is a spec variable's final value, for provenance. Sensitive
// values must be redacted before they are shown or recorded.
type Variable struct {
	Name      string          `json:"name"`
	Value     json.RawMessage `json:"value"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

// Step returns the step at address (KIND.NAME), or nil.
func (g *Graph) Step(addr string) *Step { return g.index[addr] }
