package run

import (
	"fmt"
	"strings"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
)

// selectSteps returns the steps a build runs, in plan order:
//
//   - Only (when given) and its transitive dependencies, else every step;
//   - minus Except and every step that depends on an excepted step;
//   - minus the steps whose component Publishes (and their dependents)
//     unless o.Push.
//
// An address in Only or Except that names no step is an error, and so is a
// selection that leaves nothing to run.
func selectSteps(g *plan.Graph, o Options) ([]*plan.Step, error) {
	for _, list := range []struct {
		flag  string
		addrs []string
	}{{"--only", o.Only}, {"--except", o.Except}} {
		for _, a := range list.addrs {
			if g.Step(a) == nil {
				return nil, fmt.Errorf("%s %s: no step has this address (known: %s)", list.flag, a, addresses(g.Steps))
			}
		}
	}
	for _, a := range o.Only {
		if g.Step(a).Component.Capabilities.Publishes && !o.Push {
			return nil, fmt.Errorf("--only %s: a step that publishes runs with ckpt push, not ckpt build", a)
		}
	}
	want := map[string]bool{}
	for _, s := range g.Steps {
		want[s.Address] = len(o.Only) == 0
	}
	for _, a := range o.Only {
		markUpstream(g, a, want)
	}
	excluded := map[string]bool{}
	for _, a := range o.Except {
		excluded[a] = true
	}
	var out []*plan.Step
	for _, s := range g.Steps { // topological: dependencies come first
		if s.Component.Capabilities.Publishes && !o.Push {
			excluded[s.Address] = true
		}
		for _, e := range s.Inputs {
			if excluded[e.Step] {
				excluded[s.Address] = true
			}
		}
		if want[s.Address] && !excluded[s.Address] {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no step selected (only %v, except %v, push %v)", o.Only, o.Except, o.Push)
	}
	return out, nil
}

func markUpstream(g *plan.Graph, addr string, want map[string]bool) {
	if want[addr] {
		return
	}
	want[addr] = true
	if s := g.Step(addr); s != nil {
		for _, e := range s.Inputs {
			markUpstream(g, e.Step, want)
		}
	}
}

func addresses(steps []*plan.Step) string {
	var a []string
	for _, s := range steps {
		a = append(a, s.Address)
	}
	return strings.Join(a, ", ")
}
