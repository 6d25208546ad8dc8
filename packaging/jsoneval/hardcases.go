package jsoneval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// Hard-case reasons.
const (
	ReasonFailure          = "failure"
	ReasonLowFieldAccuracy = "low_field_accuracy"
)

// HardCase is one line of hard-cases.jsonl: a prediction to learn from,
// with its input, output and expected value so that it can feed the next
// training round.
type HardCase struct {
	Line          int      `json:"line"`
	ID            string   `json:"id"`
	Reason        string   `json:"reason"`
	Category      Category `json:"category"`
	Extracted     bool     `json:"extracted,omitempty"`
	Offset        *int     `json:"offset,omitempty"`
	Path          string   `json:"path,omitempty"`
	Detail        string   `json:"detail,omitempty"`
	FieldAccuracy *float64 `json:"field_accuracy,omitempty"`
	Mismatched    []string `json:"mismatched_fields,omitempty"`
	Tags          []string `json:"tags,omitempty"`
	// PromptTokens and TemplateVersion come from the prediction row.
	PromptTokens    int             `json:"prompt_tokens,omitempty"`
	TemplateVersion string          `json:"template_version,omitempty"`
	Messages        json.RawMessage `json:"messages,omitempty"`
	Input           json.RawMessage `json:"input,omitempty"`
	Output          string          `json:"output"`
	Expected        json.RawMessage `json:"expected,omitempty"`
}

func newHardCase(p *Prediction, r Result, score *FieldScore, reason string) HardCase {
	h := HardCase{Line: p.Line, ID: p.ID, Reason: reason, Category: r.Category, Extracted: r.Extracted,
		Path: r.Path, Detail: r.Detail, Tags: p.Tags, Input: p.Input, Output: p.Output, Expected: p.Expected,
		PromptTokens: p.PromptTokens, TemplateVersion: p.TemplateVersion, Messages: p.Messages}
	if r.Offset >= 0 {
		off := r.Offset
		h.Offset = &off
	}
	if score != nil {
		acc := score.Accuracy()
		h.FieldAccuracy, h.Mismatched = &acc, score.Mismatched
	}
	return h
}

// hardCaseWriter streams failures in file order and keeps the worst
// field-accuracy samples among the valid ones in a bounded list.
type hardCaseWriter struct {
	w     *bufio.Writer
	enc   *json.Encoder
	n     int
	keep  int
	worst []HardCase
}

func newHardCaseWriter(w io.Writer, keep int) *hardCaseWriter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &hardCaseWriter{w: bw, enc: enc, keep: keep}
}

func (h *hardCaseWriter) failure(c HardCase) error {
	h.n++
	if err := h.enc.Encode(c); err != nil {
		return fmt.Errorf("hard case %s: %w", c.ID, err)
	}
	return nil
}

// lowAccuracy offers a valid sample whose field accuracy is below 1.
func (h *hardCaseWriter) lowAccuracy(c HardCase) {
	if h.keep <= 0 {
		return
	}
	i := sort.Search(len(h.worst), func(i int) bool { return worse(c, h.worst[i]) })
	if i >= h.keep {
		return
	}
	h.worst = append(h.worst, HardCase{})
	copy(h.worst[i+1:], h.worst[i:])
	h.worst[i] = c
	if len(h.worst) > h.keep {
		h.worst = h.worst[:h.keep]
	}
}

// worse orders by field accuracy, then by line.
func worse(a, b HardCase) bool {
	if *a.FieldAccuracy != *b.FieldAccuracy {
		return *a.FieldAccuracy < *b.FieldAccuracy
	}
	return a.Line < b.Line
}

// close writes the worst samples after the failures and flushes.
func (h *hardCaseWriter) close() error {
	for _, c := range h.worst {
		if err := h.failure(c); err != nil {
			return err
		}
	}
	return h.w.Flush()
}
