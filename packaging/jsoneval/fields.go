package jsoneval

import (
	"encoding/json"
	"sort"
	"strconv"
)

// RootField names the single field of an expected value that is not an object.
const RootField = "$"

// FieldScore is how one prediction's fields compare with its expected value.
type FieldScore struct {
	Total   int
	Matched int
	// Mismatched lists the expected fields the output got wrong, sorted.
	Mismatched []string
	// PerField tells, for every expected field, whether it matched.
	PerField map[string]bool
}

// Accuracy is Matched/Total, or 1 when there is nothing to compare.
func (s FieldScore) Accuracy() float64 {
	if s.Total == 0 {
		return 1
	}
	return float64(s.Matched) / float64(s.Total)
}

// scoreFields compares an output value (nil when it did not parse) with the
// expected value (see the package doc).
func scoreFields(got, want any) FieldScore {
	wantObj, ok := want.(map[string]any)
	if !ok {
		wantObj = map[string]any{RootField: want}
		got = map[string]any{RootField: got}
	}
	gotObj, _ := got.(map[string]any)
	s := FieldScore{PerField: make(map[string]bool, len(wantObj))}
	for _, k := range sortedKeys(wantObj) {
		s.Total++
		g, present := gotObj[k]
		m := present && equal(g, wantObj[k])
		s.PerField[k] = m
		if m {
			s.Matched++
		} else {
			s.Mismatched = append(s.Mismatched, k)
		}
	}
	return s
}

// equal is JSON deep equality: object key order ignored, numbers by value.
func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		return ok && numEqual(x, y)
	default:
		return a == b
	}
}

func numEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(string(a), 64)
	y, err2 := strconv.ParseFloat(string(b), 64)
	return err1 == nil && err2 == nil && x == y
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
