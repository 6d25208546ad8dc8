package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/runner"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// LedgerPrevious is the baseline that asks the run engine for the previous
// successful artifact of the same step, handed as the input "baseline".
const LedgerPrevious = specv1.BaselinePrevious

// BaselineAttr is the Input.Attr of the baseline artifact.
const BaselineAttr = specv1.AttrBaseline

type config struct {
	Target           string             `json:"target"`
	Predictions      string             `json:"predictions"`
	PredictionsFrom  string             `json:"predictions_from"`
	Prompts          string             `json:"prompts"`
	RunnerRaw        json.RawMessage    `json:"runner"`
	Runner           *runner.Config     `json:"-"`
	Template         string             `json:"template"`
	RequireBound     *bool              `json:"require_bound"`
	Schema           string             `json:"schema"`
	Extract          string             `json:"extract"`
	MinValid         *float64           `json:"min_valid"`
	Max              map[string]float64 `json:"max"`
	MinFieldAccuracy *float64           `json:"min_field_accuracy"`
	Baseline         string             `json:"baseline"`
	Tolerance        *float64           `json:"tolerance"`
	Worst            *float64           `json:"worst"`
}

func diag(summary string, path ...string) specv1.Diagnostic {
	return specv1.Diagnostic{Severity: specv1.SeverityError, Summary: summary, Path: path}
}

// parse decodes and checks a config; every problem is a diagnostic with its
// attribute path.
func parse(raw json.RawMessage) (*config, []specv1.Diagnostic) {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, []specv1.Diagnostic{diag("invalid eval config: " + err.Error())}
	}
	var ds []specv1.Diagnostic
	if c.Target == "" {
		ds = append(ds, diag("target is required: the model step the predictions come from", "target"))
	}
	ds = append(ds, c.source()...)
	if _, ok := jsoneval.ParseExtract(c.Extract); !ok {
		ds = append(ds, diag(fmt.Sprintf("extract is %q; want none, fenced or first_object", c.Extract), "extract"))
	}
	ds = append(ds, rate(c.MinValid, "min_valid")...)
	ds = append(ds, rate(c.MinFieldAccuracy, "min_field_accuracy")...)
	ds = append(ds, rate(c.Tolerance, "tolerance")...)
	for _, k := range sortedKeys(c.Max) {
		ds = append(ds, maxEntry(k, c.Max[k])...)
	}
	if c.Worst != nil && (*c.Worst < 0 || *c.Worst != math.Trunc(*c.Worst)) {
		ds = append(ds, diag("worst must be a whole number ≥ 0", "worst"))
	}
	if strings.HasPrefix(c.Baseline, "ledger:") && c.Baseline != LedgerPrevious {
		ds = append(ds, diag(fmt.Sprintf("baseline %q: the only ledger baseline is %q", c.Baseline, LedgerPrevious), "baseline"))
	}
	return &c, ds
}

// source checks that the step has prompts and a runner, or predictions.
func (c *config) source() []specv1.Diagnostic {
	r, err := runner.Decode(c.RunnerRaw)
	if err != nil {
		return []specv1.Diagnostic{diag(err.Error(), "runner")}
	}
	c.Runner = r
	n := 0
	for _, s := range []string{c.Prompts, c.Predictions, c.PredictionsFrom} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return []specv1.Diagnostic{diag("prompts, predictions and predictions_from exclude each other: the predictions come from one source", "predictions")}
	case n == 0:
		return []specv1.Diagnostic{diag("prompts (with a runner), predictions_from (a runner step) or predictions is required", "prompts")}
	case c.PredictionsFrom != "" && (r != nil || c.Template != ""):
		return []specv1.Diagnostic{diag("runner and template belong to the runner step that predictions_from names", "runner")}
	case c.Prompts != "" && r == nil:
		return []specv1.Diagnostic{diag("prompts need a runner = { kind = \"ollama\" } or { kind = \"openai\", endpoint = ... }", "runner")}
	case c.Predictions != "" && (r != nil || c.Template != "" || c.RequireBound != nil):
		return []specv1.Diagnostic{diag("runner, template and require_bound apply to prompts, not to static predictions", "runner")}
	case c.Template != "" && c.Template != jsoneval.TemplateRuntime:
		return []specv1.Diagnostic{diag(fmt.Sprintf("template is %q; the only value is \"runtime\" (default: ckpt renders the target's own template)", c.Template), "template")}
	}
	if r != nil {
		return r.Check()
	}
	return nil
}

// requireBound defaults to true when the runner starts the server itself
// (for a runner step: when its generation says it started one).
func (c *config) requireBound(g *jsoneval.Generation) bool {
	switch {
	case c.RequireBound != nil:
		return *c.RequireBound
	case g != nil:
		return g.Runner.Started
	}
	return c.Runner != nil && (c.Runner.Kind == runner.KindOllama || len(c.Runner.Command) > 0)
}

func rate(v *float64, name string) []specv1.Diagnostic {
	if v != nil && (*v < 0 || *v > 1 || math.IsNaN(*v)) {
		return []specv1.Diagnostic{diag(fmt.Sprintf("%s is %g; want a rate between 0 and 1", name, *v), name)}
	}
	return nil
}

func maxEntry(k string, v float64) []specv1.Diagnostic {
	c := jsoneval.Category(k)
	switch {
	case !c.Known() || c == jsoneval.CategoryOK:
		return []specv1.Diagnostic{diag(fmt.Sprintf("max: unknown failure category %q; want one of %s", k, failureNames()), "max", k)}
	case v < 0 || v != math.Trunc(v):
		return []specv1.Diagnostic{diag(fmt.Sprintf("max.%s is %g; want a whole number ≥ 0", k, v), "max", k)}
	}
	return nil
}

func failureNames() string {
	var names []string
	for _, c := range jsoneval.Categories()[1:] {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

func (c *config) thresholds() jsoneval.Thresholds {
	t := jsoneval.Thresholds{MinValid: c.MinValid, MinFieldAccuracy: c.MinFieldAccuracy}
	if c.Tolerance != nil {
		t.Tolerance = *c.Tolerance
	}
	if len(c.Max) > 0 {
		t.Max = map[jsoneval.Category]int{}
		for k, v := range c.Max {
			t.Max[jsoneval.Category(k)] = int(v)
		}
	}
	return t
}

func (c *config) worst() int {
	switch {
	case c.Worst == nil:
		return 0
	case *c.Worst == 0:
		return -1
	}
	return int(*c.Worst)
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
