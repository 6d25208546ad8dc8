package run

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// redactor removes a spec's secrets (plan.Graph.Secrets) from what plugins
// return before it is shown or stored: a plugin gets the real values in
// its request, and may echo them in its metadata, logs or errors.
type redactor []string

func (r redactor) str(s string) string { return spec.Redact(r, s) }

// event redacts an event's texts.
func (r redactor) event(e Event) Event {
	if len(r) == 0 {
		return e
	}
	e.Message, e.Error = r.str(e.Message), r.str(e.Error)
	if e.Diagnostic != nil {
		d := *e.Diagnostic
		d.Summary, d.Detail = r.str(d.Summary), r.str(d.Detail)
		e.Diagnostic = &d
	}
	return e
}

// result redacts a finished step's error.
func (r redactor) result(res *StepResult) {
	if len(r) == 0 || res.Error == "" {
		return
	}
	res.Error = r.str(res.Error)
	var se *specv1.StepError
	if errors.As(res.err, &se) {
		if msg := r.str(se.Err.Error()); msg != se.Err.Error() {
			res.err = &specv1.StepError{Step: se.Step, Op: se.Op, Err: errors.New(msg)}
		}
	}
}

// metadata redacts every string of m that a plugin chose: ids, licenses,
// lineage, notices, findings, training, outputs and extra data.
func (r redactor) metadata(m *specv1.Metadata) {
	if len(r) == 0 {
		return
	}
	m.ID, m.License = r.str(m.ID), r.str(m.License)
	for i := range m.Lineage {
		l := &m.Lineage[i]
		l.ID, l.License = r.str(l.ID), r.str(l.License)
	}
	for i := range m.Notices {
		m.Notices[i] = r.str(m.Notices[i])
	}
	for i := range m.Findings {
		f := &m.Findings[i]
		f.File, f.Path, f.Message = r.str(f.File), r.str(f.Path), r.str(f.Message)
	}
	for k, v := range m.Outputs {
		m.Outputs[k] = r.str(v)
	}
	m.Training, m.Extra, m.Params = r.raw(m.Training), r.raw(m.Extra), r.raw(m.Params)
}

// raw redacts the string values (not the keys) of a JSON document.
func (r redactor) raw(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || !r.contains(b) {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree any
	if dec.Decode(&tree) != nil {
		return json.RawMessage(`"` + Redacted + `"`)
	}
	out, err := json.Marshal(r.tree(tree))
	if err != nil {
		return json.RawMessage(`"` + Redacted + `"`)
	}
	return out
}

func (r redactor) contains(b []byte) bool {
	for _, s := range r {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
		if q, _ := json.Marshal(s); bytes.Contains(b, q[1:len(q)-1]) {
			return true
		}
	}
	return false
}

func (r redactor) tree(v any) any {
	switch t := v.(type) {
	case string:
		return r.str(t)
	case []any:
		for i := range t {
			t[i] = r.tree(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = r.tree(t[k])
		}
	}
	return v
}
