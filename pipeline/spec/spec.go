// Package spec loads a ckpt spec: every *.ckpt.hcl file of a folder (or one
// file), its ckpt block, variables, locals and step blocks KIND "TYPE" "NAME".
// It evaluates variables and locals and hands the step bodies, still
// undecoded, to the planner. Every problem is an hcl.Diagnostic with the
// source range it concerns. The language is specified in specs/language.md.
package spec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Spec is a loaded spec.
type Spec struct {
	// Dir is the absolute folder of the spec; relative paths in the spec
	// (file(), path attributes) are resolved against it.
	Dir string
	// Files holds every parsed file (spec files and var files) by the
	// filename used in diagnostic ranges, for source snippets.
	Files map[string]*hcl.File
	// Digest is "sha256:" over the spec files' base names and bytes, in name order.
	Digest   string
	Required Required
	// Variables are sorted by name.
	Variables []*Variable
	// Locals are the evaluated locals by name.
	Locals map[string]cty.Value
	// Steps are in file order (files sorted by name), then source order.
	Steps     []*Step
	functions map[string]function.Function
	meter     *meter
	read      int // bytes of spec and var files read, for MaxSpecBytes
	tokens    int // their tokens, for MaxTokens
}

// Required is the content of the ckpt block.
type Required struct {
	// Version is the required_version constraint, "" when absent.
	Version string
	Plugins []RequiredPlugin
	// Cache is the cache block, nil when absent.
	Cache *Cache
}

// Cache is the ckpt block's cache block: the remote cache, a registry
// repository that --cache and CKPT_CACHE override.
type Cache struct {
	Ref string
	// Range is the ref expression's, for diagnostics about the reference.
	Range hcl.Range
}

// RequiredPlugin is one entry of required_plugins.
type RequiredPlugin struct {
	Name    string
	Source  string
	Version string
	Range   hcl.Range
}

// Variable is a declared input variable with its final value.
type Variable struct {
	Name        string
	Type        cty.Type
	Value       cty.Value
	Description string
	Sensitive   bool
	DefRange    hcl.Range
}

// Step is a step block KIND "TYPE" "NAME", its body not yet decoded.
type Step struct {
	Kind, Type, Name string
	Body             hcl.Body
	// DefRange covers the block header; TypeRange and NameRange its labels.
	DefRange, TypeRange, NameRange hcl.Range
}

// Address is the step's spec address, KIND.NAME.
func (s *Step) Address() string { return s.Kind + "." + s.Name }

// Options are the inputs of Load beyond the spec files. The zero value loads
// the spec with variable defaults only.
type Options struct {
	// Vars are --var values, "NAME=VALUE", applied last.
	Vars []string
	// VarFiles are --var-file paths (HCL attribute files), applied in order.
	VarFiles []string
	// Env is the environment, "KEY=VALUE" (os.Environ()); CKPT_VAR_NAME
	// entries set variables.
	Env []string
	// Version is ckpt's version, checked against required_version when set.
	Version string
}

// EnvPrefix prefixes environment variables that set spec variables.
const EnvPrefix = "CKPT_VAR_"

// EvalContext returns the context step bodies are evaluated in: var.*,
// local.* and the functions. Callers add step objects to a child context.
func (s *Spec) EvalContext() *hcl.EvalContext {
	vars := map[string]cty.Value{}
	for _, v := range s.Variables {
		vars[v.Name] = v.Value
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars), "local": cty.ObjectVal(s.Locals)},
		Functions: s.functions,
	}
}

// HasVariable reports whether a variable is declared.
func (s *Spec) HasVariable(name string) bool {
	for _, v := range s.Variables {
		if v.Name == name {
			return true
		}
	}
	return false
}
