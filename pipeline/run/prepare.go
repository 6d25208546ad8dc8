package run

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// prepare gathers what step s needs from the finished steps: its inputs,
// its resolved config and the build info for provenance. It runs in the
// scheduler's goroutine, which owns done.
func (e *engine) prepare(s *plan.Step, done map[string]*StepResult) *job {
	j := &job{step: s, config: s.Config}
	for _, edge := range s.Inputs {
		r := done[edge.Step]
		in := input{Input: specv1.Input{Step: edge.Step, Attr: edge.Attr, Digest: r.Artifact}, desc: r.desc, keyed: true}
		if r.Metadata != nil {
			in.Metadata = *r.Metadata
		}
		j.inputs = append(j.inputs, in)
	}
	if s.Pending {
		cfg, diags := e.g.Resolve(s, outputs(done))
		if diags.HasErrors() {
			j.err = fmt.Errorf("resolve config: %s", diags.Error())
			return j
		}
		j.config, j.resolved = cfg, true
	}
	j.build = e.buildInfo(s, done)
	return j
}

// outputs are the values a spec may reference as KIND.NAME.ATTR of the
// finished steps (specv1.OutputValues).
func outputs(done map[string]*StepResult) map[string]map[string]string {
	out := map[string]map[string]string{}
	for addr, r := range done {
		if r.Metadata != nil {
			out[addr] = specv1.OutputValues(r.Metadata, r.Artifact)
		}
	}
	return out
}

// buildInfo describes the build for s's provenance: ckpt's version, the
// spec digest, the redacted variables and the steps upstream of s, in plan
// order (not the steps that happened to finish first, so that it is the
// same on every run).
func (e *engine) buildInfo(s *plan.Step, done map[string]*StepResult) *specv1.BuildInfo {
	bi := &specv1.BuildInfo{CkptVersion: e.o.Version, SpecDigest: e.g.Digest, Variables: buildVariables(e.g)}
	up := map[string]bool{}
	upstream(e.g, s, up)
	for _, st := range e.g.Steps {
		r, ok := done[st.Address]
		if !up[st.Address] || !ok {
			continue
		}
		bi.Steps = append(bi.Steps, specv1.BuildStep{Step: r.Address, CacheKey: r.CacheKey, ArtifactDigest: r.Artifact,
			Plugin: r.Plugin.Name, PluginVersion: r.Plugin.Version, PluginDigest: r.Plugin.Digest})
	}
	return bi
}

func upstream(g *plan.Graph, s *plan.Step, seen map[string]bool) {
	for _, e := range s.Inputs {
		if !seen[e.Step] {
			seen[e.Step] = true
			if u := g.Step(e.Step); u != nil {
				upstream(g, u, seen)
			}
		}
	}
}

// buildVariables renders variables as strings (JSON strings unquoted, other
// values as JSON), sensitive ones redacted.
func buildVariables(g *plan.Graph) map[string]string {
	if len(g.Variables) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, v := range g.Variables {
		var s string
		switch {
		case v.Sensitive:
			s = Redacted
		case json.Unmarshal(v.Value, &s) == nil:
		default:
			s = strings.TrimSpace(string(v.Value))
		}
		out[v.Name] = s
	}
	return out
}
