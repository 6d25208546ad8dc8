package jsoneval

// Metrics are the aggregate results of an evaluation.
type Metrics struct {
	Total     int     `json:"total"`
	Valid     int     `json:"valid"`
	ValidRate float64 `json:"valid_rate"`
	// Clean outputs are valid without extraction; Extracted ones needed it.
	Clean     int `json:"clean"`
	Extracted int `json:"extracted"`
	// Categories counts every category, zeros included.
	Categories map[Category]int `json:"categories"`
	// WithExpected counts the predictions that carry an expected value.
	WithExpected int `json:"with_expected"`
	// FieldAccuracy is matched/total over every expected top-level field of
	// every prediction (micro average); nil when no prediction has expected.
	FieldAccuracy *float64             `json:"field_accuracy,omitempty"`
	Fields        map[string]FieldStat `json:"fields,omitempty"`
}

// FieldStat is the exact-match accuracy of one top-level field.
type FieldStat struct {
	Matched  int     `json:"matched"`
	Total    int     `json:"total"`
	Accuracy float64 `json:"accuracy"`
}

// tally accumulates Metrics one prediction at a time.
type tally struct {
	m              Metrics
	fieldsMatched  int
	fieldsTotal    int
	matched, total map[string]int
}

func newTally() *tally {
	t := &tally{matched: map[string]int{}, total: map[string]int{}}
	t.m.Categories = make(map[Category]int)
	for _, c := range Categories() {
		t.m.Categories[c] = 0
	}
	return t
}

func (t *tally) add(r Result, score *FieldScore) {
	t.m.Total++
	t.m.Categories[r.Category]++
	if r.Category == CategoryOK {
		t.m.Valid++
		if r.Extracted {
			t.m.Extracted++
		} else {
			t.m.Clean++
		}
	}
	if score == nil {
		return
	}
	t.m.WithExpected++
	t.fieldsTotal += score.Total
	t.fieldsMatched += score.Matched
	for k, ok := range score.PerField {
		t.total[k]++
		if ok {
			t.matched[k]++
		}
	}
}

func (t *tally) metrics() Metrics {
	m := t.m
	if m.Total > 0 {
		m.ValidRate = float64(m.Valid) / float64(m.Total)
	}
	if m.WithExpected > 0 {
		acc := 1.0
		if t.fieldsTotal > 0 {
			acc = float64(t.fieldsMatched) / float64(t.fieldsTotal)
		}
		m.FieldAccuracy = &acc
		m.Fields = make(map[string]FieldStat, len(t.total))
		for k, n := range t.total {
			m.Fields[k] = FieldStat{Matched: t.matched[k], Total: n, Accuracy: float64(t.matched[k]) / float64(n)}
		}
	}
	return m
}
