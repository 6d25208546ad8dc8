package run

import (
	"encoding/json"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Redacted replaces a sensitive variable's value in the ledger and in
// provenance.
const Redacted = plan.Redacted

// LastSucceeded returns the artifact digest of step addr in the latest
// entry for spec folder dir (absolute) where the step succeeded, or "":
// the project's own artifact, whoever else shares its store.
func LastSucceeded(entries []state.Entry, dir, addr string) string {
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Spec.Dir != dir {
			continue
		}
		for _, s := range entries[i].Steps {
			if s.Address == addr && (s.Status == StatusOK || s.Status == StatusCached) && s.Artifact != "" {
				return s.Artifact
			}
		}
	}
	return ""
}

// entryFor builds the ledger entry of a finished build.
func entryFor(g *plan.Graph, o Options, res *Result) *state.Entry {
	e := &state.Entry{Time: res.Started.UTC(), CkptVersion: o.Version,
		Spec:   state.SpecRef{Path: o.SpecPath, Dir: g.Dir, Digest: g.Digest},
		Status: res.Status, DurationMS: res.Duration.Milliseconds(), Variables: ledgerVariables(g)}
	for _, r := range res.Steps {
		var caps specv1.Capabilities
		if st := g.Step(r.Address); st != nil {
			caps = st.Component.Capabilities
		}
		e.Steps = append(e.Steps, ledgerStep(r, caps))
	}
	return e
}

func ledgerVariables(g *plan.Graph) map[string]json.RawMessage {
	if len(g.Variables) == 0 {
		return nil
	}
	out := map[string]json.RawMessage{}
	for _, v := range g.Variables {
		if v.Sensitive {
			out[v.Name] = json.RawMessage(`"` + Redacted + `"`)
			continue
		}
		out[v.Name] = v.Value
	}
	return out
}

// ledgerStep records r, with what its component's capabilities ask for.
func ledgerStep(r *StepResult, caps specv1.Capabilities) state.LedgerStep {
	s := state.LedgerStep{Address: r.Address, CacheKey: r.CacheKey, Plugin: r.Plugin, Artifact: r.Artifact,
		Cached: r.Cached, DurationMS: r.Duration.Milliseconds(), Status: r.Status, Error: r.Error}
	m := r.Metadata
	if m == nil {
		return s
	}
	s.ModelID = m.ID
	for _, l := range m.Lineage {
		if l.Role == "base" && l.ID != "" {
			s.BaseModels = append(s.BaseModels, l.ID)
		}
	}
	if caps.Recorded(specv1.RecordTraining) {
		s.Training = m.Training
	}
	if ref := m.Outputs["ref"]; caps.Recorded(specv1.RecordPushed) && ref != "" {
		s.Pushed = &state.Pushed{Ref: ref, Digest: m.Outputs["digest"]}
	}
	return s
}
