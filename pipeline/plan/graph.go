package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// deps returns the distinct addresses st depends on, sorted.
func deps(st *Step, gates bool) []string {
	var out []string
	for _, e := range st.Inputs {
		if gates || !e.Gate {
			out = append(out, e.Step)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// upstream returns every step addr transitively depends on, without gates.
func (g *Graph) upstream(addr string) map[string]bool {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(a string) {
		st := g.index[a]
		if st == nil {
			return
		}
		for _, d := range deps(st, false) {
			if !seen[d] {
				seen[d] = true
				visit(d)
			}
		}
	}
	visit(addr)
	return seen
}

// addGates makes every Gated step wait for each gate (a step whose
// component declares Capabilities.Gate) whose judged step is upstream of
// it, unless that gate itself depends on the gated step.
func (g *Graph) addGates(steps []*Step) hcl.Diagnostics {
	var gates []*Step
	for _, st := range sortedByAddr(steps) {
		if st.Component.Capabilities.Gate != "" {
			gates = append(gates, st)
		}
	}
	for _, b := range sortedByAddr(steps) {
		if !b.Component.Capabilities.Gated {
			continue
		}
		up := g.upstream(b.Address)
		for _, c := range gates {
			if judgesUpstream(c, up) && !g.upstream(c.Address)[b.Address] {
				b.addEdge(Edge{Step: c.Address, Attr: specv1.AttrGate, Gate: true}, hcl.Range{})
			}
		}
	}
	return nil
}

// judgesUpstream reports whether the step gate c judges is in up.
func judgesUpstream(c *Step, up map[string]bool) bool {
	attr := c.Component.Capabilities.Gate
	for _, e := range c.Inputs {
		if e.Attr == attr && up[e.Step] {
			return true
		}
	}
	return false
}

func sortedByAddr(steps []*Step) []*Step {
	out := slices.Clone(steps)
	slices.SortFunc(out, func(a, b *Step) int { return strings.Compare(a.Address, b.Address) })
	return out
}

// order sorts the steps topologically, ties broken by address. Steps on
// or behind a cycle come last, in address order, with one diagnostic per cycle.
func (g *Graph) order(steps []*Step) ([]*Step, hcl.Diagnostics) {
	pending := map[string]int{}
	users := map[string][]string{}
	for _, st := range steps {
		ds := deps(st, true)
		pending[st.Address] = len(ds)
		for _, d := range ds {
			users[d] = append(users[d], st.Address)
		}
	}
	var ready, out []string
	for _, st := range steps {
		if pending[st.Address] == 0 {
			ready = append(ready, st.Address)
		}
	}
	for len(ready) > 0 {
		slices.Sort(ready)
		a := ready[0]
		ready = ready[1:]
		out = append(out, a)
		for _, u := range users[a] {
			if pending[u]--; pending[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	var diags hcl.Diagnostics
	if len(out) < len(steps) {
		var rest []string
		for _, st := range steps {
			if !slices.Contains(out, st.Address) {
				rest = append(rest, st.Address)
			}
		}
		slices.Sort(rest)
		diags = g.cycles(rest)
		out = append(out, rest...)
	}
	res := make([]*Step, len(out))
	for i, a := range out {
		res[i] = g.index[a]
	}
	return res, diags
}

// cycles reports each cycle among the given steps once, naming every step
// on it, at the reference from its first step to the next.
func (g *Graph) cycles(rest []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	reported := map[string]bool{}
	for _, start := range rest {
		if reported[start] {
			continue
		}
		ring := g.ringFrom(start, rest)
		if ring == nil {
			continue // behind a cycle, not on one
		}
		for _, a := range ring {
			reported[a] = true
		}
		first := g.index[ring[0]]
		rng, ok := first.refs[ring[1]]
		if !ok {
			rng = first.DefRange
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Dependency cycle",
			Detail: fmt.Sprintf("Steps depend on each other in a cycle: %s. Remove one of these references.",
				strings.Join(ring, " → ")),
			Subject: rng.Ptr()})
	}
	return diags
}

// ringFrom finds the shortest cycle through start (breadth first, address
// order), as start → ... → start, or nil.
func (g *Graph) ringFrom(start string, within []string) []string {
	prev := map[string]string{}
	queue := []string{start}
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		for _, d := range deps(g.index[a], true) {
			if d == start {
				ring := []string{start}
				for x := a; x != start; x = prev[x] {
					ring = slices.Insert(ring, 1, x)
				}
				return append(ring, start)
			}
			if _, seen := prev[d]; !seen && slices.Contains(within, d) {
				prev[d] = a
				queue = append(queue, d)
			}
		}
	}
	return nil
}
