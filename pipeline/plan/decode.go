package plan

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// edge is a reference found in a step body.
type edge struct {
	addr, attr string
	rng        hcl.Range
}

// decoded is a decoded step body.
type decoded struct {
	config             map[string]any
	pending            bool
	edges              []edge
	paths              []string
	pathRanges         []hcl.Range // the spec range of each path
	timeout, onFailure string
	// sensitive are the config paths of sensitive values; secrets their
	// strings.
	sensitive [][]string
	secrets   []string
}

// decodeStep decodes a step body with its component's schema. known holds
// upstream outputs (nil at plan time: every output is unknown).
func (g *Graph) decodeStep(st *Step, known map[string]map[string]string) (*decoded, hcl.Diagnostics) {
	d := &decoded{onFailure: "fail"}
	schema := st.Component.Schema
	names := attrNames(schema)
	var diags hcl.Diagnostics
	var patches []hcl.Traversal
	for _, name := range names {
		for _, t := range hcldec.Variables(st.body, st.spec[name]) {
			if bad := g.scope.check(t); bad != nil {
				diags, patches = append(diags, bad), append(patches, t)
				continue
			}
			kind := t.RootName()
			if !slices.Contains(specv1.Kinds(), kind) {
				continue
			}
			ref, _ := traversalNames(t)
			d.edges = append(d.edges, edge{addr: kind + "." + ref, attr: name, rng: t.SourceRange()})
			if !isStepAttr(schema, name) && known == nil {
				d.pending = true
			}
		}
	}
	val, ds := hcldec.Decode(st.body, st.spec, g.scope.ctx(known, patches))
	diags = append(diags, fixMissing(ds, st)...)
	w := &walker{g: g, st: st, d: d}
	d.config = w.object(schema, val, nil)
	w.reserved(val)
	return d, append(diags, w.diags...)
}

// attrNames lists the schema's attributes, blocks and the reserved
// attributes, in declaration order.
func attrNames(s specv1.Schema) []string {
	var out []string
	for _, a := range s.Attributes {
		out = append(out, a.Name)
	}
	for _, b := range s.Blocks {
		out = append(out, b.Name)
	}
	return append(out, reserved...)
}

func isStepAttr(s specv1.Schema, name string) bool {
	if name == specv1.AttrDependsOn {
		return true
	}
	for _, a := range s.Attributes {
		if a.Name == name {
			return a.Type == specv1.TypeStep || a.Type == specv1.TypeSteps
		}
	}
	return false
}

// fixMissing points "Missing required argument" at the step's header
// instead of its opening brace.
func fixMissing(diags hcl.Diagnostics, st *Step) hcl.Diagnostics {
	missing := st.body.MissingItemRange()
	for _, d := range diags {
		if d.Subject != nil && *d.Subject == missing {
			d.Subject = st.DefRange.Ptr()
		}
	}
	return diags
}

// reserved reads depends_on, timeout and on_failure.
// Edges of depends_on come from its references; here it is only checked.
func (w *walker) reserved(val cty.Value) {
	val, _ = val.UnmarkDeep() // a sensitive timeout is no secret worth refusing
	if !val.IsKnown() || val.IsNull() {
		return
	}
	if v := val.GetAttr(specv1.AttrDependsOn); !v.IsNull() && v.IsKnown() {
		w.stepList(specv1.Attribute{Name: specv1.AttrDependsOn}, v)
	}
	if v := val.GetAttr(specv1.AttrTimeout); !v.IsNull() && v.IsKnown() {
		dur, err := time.ParseDuration(v.AsString())
		if err != nil || dur <= 0 {
			w.errorAt(specv1.AttrTimeout, "Invalid timeout",
				fmt.Sprintf("timeout must be a positive Go duration such as \"90s\", \"30m\" or \"2h\"; %q is not.", v.AsString()))
		} else {
			w.d.timeout = dur.String()
		}
	}
	if v := val.GetAttr(specv1.AttrOnFailure); !v.IsNull() && v.IsKnown() {
		s := v.AsString()
		if s != "fail" && s != "warn" {
			w.errorAt(specv1.AttrOnFailure, "Invalid on_failure",
				fmt.Sprintf("on_failure must be \"fail\" or \"warn\"; %q is neither.", s))
		} else {
			w.d.onFailure = s
		}
	}
}
