package runtime

import (
	"encoding/json"
	"fmt"
	"sort"
)

// RecordedTemplate is a chat template found in training metadata, with the
// JSON path it was found at.
type RecordedTemplate struct {
	Path     string
	Template string
	// Step is the step that recorded it (a "step" or "adapter" key beside
	// it or in an enclosing object, as merges record their adapters), e.g.
	// adapter.support; empty when unknown.
	Step string
}

// TrainingTemplates returns every string value under a "chat_template" key
// in an artifact's training metadata, at any depth: an adapter records
// {"chat_template": "..."}, a merge may carry its adapters' training
// records in a list or a map. Paths are sorted for determinism.
func TrainingTemplates(training json.RawMessage) ([]RecordedTemplate, error) {
	if len(training) == 0 || string(training) == "null" {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(training, &v); err != nil {
		return nil, err
	}
	var out []RecordedTemplate
	walk(v, "training", "", &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func walk(v any, path, step string, out *[]RecordedTemplate) {
	switch x := v.(type) {
	case map[string]any:
		for _, key := range []string{"step", "adapter"} {
			if s, ok := x[key].(string); ok {
				step = s
			}
		}
		for k, e := range x {
			if s, ok := e.(string); ok && k == "chat_template" {
				*out = append(*out, RecordedTemplate{Path: path + "." + k, Template: s, Step: step})
				continue
			}
			walk(e, path+"."+k, step, out)
		}
	case []any:
		for i, e := range x {
			walk(e, fmt.Sprintf("%s[%d]", path, i), step, out)
		}
	}
}
