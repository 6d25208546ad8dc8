package jsoneval

import (
	"fmt"
	"sort"
)

// Finding codes of the gate.
const (
	CodeMinValid         = "eval.min_valid"
	CodeMax              = "eval.max"
	CodeMinFieldAccuracy = "eval.min_field_accuracy"
	CodeBaselineTask     = "eval.baseline.task"
	CodeBaselineValidity = "eval.baseline.validity"
	CodeUnbound          = "eval.unbound"
)

// Thresholds are the gate of an eval step. Unset thresholds are not checked.
type Thresholds struct {
	MinValid *float64 `json:"min_valid,omitempty"`
	// Max is the largest count allowed per failure category.
	Max              map[Category]int `json:"max,omitempty"`
	MinFieldAccuracy *float64         `json:"min_field_accuracy,omitempty"`
	// Tolerance is how much a metric may drop below the baseline and still
	// hold (default 0: any drop fails).
	Tolerance float64 `json:"tolerance,omitempty"`
}

// GateFailure is one missed threshold.
type GateFailure struct {
	Code string `json:"code"`
	// Path is the threshold attribute, e.g. "max.trailing_text".
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Check returns every threshold m misses, in a fixed order.
func (t Thresholds) Check(m Metrics) []GateFailure {
	var out []GateFailure
	if t.MinValid != nil && m.ValidRate < *t.MinValid {
		out = append(out, GateFailure{Code: CodeMinValid, Path: "min_valid",
			Message: fmt.Sprintf("valid rate %.4f (%d of %d) is below min_valid %.4f", m.ValidRate, m.Valid, m.Total, *t.MinValid)})
	}
	cats := make([]string, 0, len(t.Max))
	for c := range t.Max {
		cats = append(cats, string(c))
	}
	sort.Strings(cats)
	for _, c := range cats {
		limit, got := t.Max[Category(c)], m.Categories[Category(c)]
		if got > limit {
			out = append(out, GateFailure{Code: CodeMax, Path: "max." + c,
				Message: fmt.Sprintf("%d outputs are %s, max is %d", got, c, limit)})
		}
	}
	if t.MinFieldAccuracy != nil {
		switch {
		case m.FieldAccuracy == nil:
			out = append(out, GateFailure{Code: CodeMinFieldAccuracy, Path: "min_field_accuracy",
				Message: "min_field_accuracy is set but no prediction has an expected value"})
		case *m.FieldAccuracy < *t.MinFieldAccuracy:
			out = append(out, GateFailure{Code: CodeMinFieldAccuracy, Path: "min_field_accuracy",
				Message: fmt.Sprintf("field accuracy %.4f is below min_field_accuracy %.4f", *m.FieldAccuracy, *t.MinFieldAccuracy)})
		}
	}
	return out
}

// Delta compares one metric with its baseline value.
type Delta struct {
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	Delta    float64 `json:"delta"`
}

func newDelta(base, cur float64) Delta { return Delta{Baseline: base, Current: cur, Delta: cur - base} }

// Task metric names.
const (
	MetricFieldAccuracy = "field_accuracy"
	MetricValidRate     = "valid_rate"
)

// BaselineResult is the promotion check against an earlier report.
type BaselineResult struct {
	// Source is "ledger:previous" or the report's path.
	Source string `json:"source"`
	// Found is false on a first build (no earlier report): the check passes.
	Found bool `json:"found"`
	// TaskMetric is field_accuracy when both runs have expected values,
	// otherwise valid_rate.
	TaskMetric string `json:"task_metric,omitempty"`
	Task       *Delta `json:"task,omitempty"`
	Validity   *Delta `json:"validity,omitempty"`
	Pass       bool   `json:"pass"`
}

// CompareBaseline checks that cur holds or improves both the task metric
// and format validity of base, within tol. When the task metric is the
// valid rate itself, a drop is reported once, as a validity failure.
func CompareBaseline(cur, base Metrics, tol float64, source string) (BaselineResult, []GateFailure) {
	r := BaselineResult{Source: source, Found: true, TaskMetric: MetricValidRate}
	val := newDelta(base.ValidRate, cur.ValidRate)
	task := val
	if cur.FieldAccuracy != nil && base.FieldAccuracy != nil {
		r.TaskMetric = MetricFieldAccuracy
		task = newDelta(*base.FieldAccuracy, *cur.FieldAccuracy)
	}
	r.Task, r.Validity = &task, &val
	var out []GateFailure
	if r.TaskMetric == MetricFieldAccuracy && task.Delta < -tol {
		out = append(out, GateFailure{Code: CodeBaselineTask, Path: "baseline",
			Message: fmt.Sprintf("%s dropped from %.4f to %.4f against the baseline (%s)", r.TaskMetric, task.Baseline, task.Current, source)})
	}
	if val.Delta < -tol {
		out = append(out, GateFailure{Code: CodeBaselineValidity, Path: "baseline",
			Message: fmt.Sprintf("valid rate dropped from %.4f to %.4f against the baseline (%s)", val.Baseline, val.Current, source)})
	}
	r.Pass = len(out) == 0
	return r, out
}
