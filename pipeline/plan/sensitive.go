package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Redacted is what is shown and stored instead of a sensitive value.
const Redacted = spec.Redacted

// sensitive records the sensitive parts of attribute a's value v (at
// config path prefix) and returns v without marks. A sensitive value in a
// Published attribute is an error.
func (w *walker) sensitive(a specv1.Attribute, v cty.Value, prefix []string) cty.Value {
	uv, pvs := v.UnmarkDeepWithPaths()
	at := append(slices.Clone(prefix), a.Name)
	var paths [][]string
	for _, pv := range pvs {
		if _, ok := pv.Marks[spec.Sensitive]; ok {
			paths = append(paths, append(slices.Clone(at), pathSteps(pv.Path)...))
		}
	}
	if a.Sensitive { // the component says its whole value is a secret
		w.d.secrets = append(w.d.secrets, spec.SensitiveStrings(uv.Mark(spec.Sensitive))...)
		paths = [][]string{at}
	}
	if len(paths) == 0 {
		return uv
	}
	if a.Published && !a.Sensitive {
		rng := w.st.PathRange(paths[0])
		w.diags = append(w.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Sensitive value in a published attribute",
			Detail: fmt.Sprintf("Attribute %q is published (an id, a license, a lineage or training field, a tag or a pushed reference), and its value is derived from a sensitive variable. Use a value that is not secret, or wrap it in nonsensitive(...) to publish it knowingly.",
				strings.Join(paths[0], ".")),
			Subject: &rng})
	}
	w.d.sensitive = append(w.d.sensitive, paths...)
	w.d.secrets = append(w.d.secrets, spec.SensitiveStrings(v)...)
	return uv
}

// pathSteps turns a cty path into config path elements: attribute names,
// map keys and list indexes.
func pathSteps(p cty.Path) []string {
	var out []string
	for _, s := range p {
		switch s := s.(type) {
		case cty.GetAttrStep:
			out = append(out, s.Name)
		case cty.IndexStep:
			k, _ := s.Key.Unmark()
			if k.Type() == cty.String {
				out = append(out, k.AsString())
			} else if k.Type() == cty.Number {
				out = append(out, k.AsBigFloat().Text('f', -1))
			}
		}
	}
	return out
}

// ShownConfig is the step's config as it may be shown or stored: every
// sensitive value replaced by "(sensitive)".
func (st *Step) ShownConfig() json.RawMessage {
	if len(st.Sensitive) == 0 || len(st.Config) == 0 {
		return st.Config
	}
	dec := json.NewDecoder(bytes.NewReader(st.Config))
	dec.UseNumber()
	var tree any
	if dec.Decode(&tree) != nil {
		return json.RawMessage(strconv.Quote(Redacted))
	}
	for _, p := range st.Sensitive {
		tree = redactAt(tree, p)
	}
	out, err := canonical(tree)
	if err != nil {
		return json.RawMessage(strconv.Quote(Redacted))
	}
	return out
}

func redactAt(tree any, path []string) any {
	if len(path) == 0 {
		return Redacted
	}
	switch t := tree.(type) {
	case map[string]any:
		if x, ok := t[path[0]]; ok {
			t[path[0]] = redactAt(x, path[1:])
		}
	case []any:
		if i, err := strconv.Atoi(path[0]); err == nil && i >= 0 && i < len(t) {
			t[i] = redactAt(t[i], path[1:])
		}
	}
	return tree
}

// Secrets are the strings of the spec's sensitive values: those of
// sensitive variables and those in step configs. The run engine removes
// them from whatever a plugin returns before it is shown or stored.
// Longest first, so that a secret containing another is replaced whole.
func (g *Graph) Secrets() []string { return g.secrets }

func (g *Graph) collectSecrets(sp *spec.Spec, steps []*Step) {
	all := sp.Secrets()
	for _, st := range steps {
		all = append(all, st.secrets...)
	}
	g.secrets = spec.SortSecrets(all)
	for _, st := range steps {
		st.secrets = g.secrets // for Step.Diagnostic
	}
}

// MarshalJSON encodes the step with ShownConfig as its config.
func (st *Step) MarshalJSON() ([]byte, error) {
	type plain Step
	c := plain(*st)
	c.Config = st.ShownConfig()
	if len(st.secrets) > 0 && len(st.Paths) > 0 {
		c.Paths = make([]string, len(st.Paths))
		for i, p := range st.Paths {
			c.Paths[i] = spec.Redact(st.secrets, p)
		}
	}
	return json.Marshal(&c)
}

// Redact replaces every secret of the spec in s by "(sensitive)".
func (g *Graph) Redact(s string) string { return spec.Redact(g.secrets, s) }
