package evalset

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
)

// TicketSchema is the JSON Schema of the synthetic support-ticket task.
const TicketSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Support ticket triage",
  "type": "object",
  "properties": {
    "category": {"enum": ["billing", "technical", "account", "shipping"]},
    "priority": {"type": "integer", "minimum": 1, "maximum": 5},
    "summary": {"type": "string", "minLength": 1, "maxLength": 120},
    "order_id": {"type": "string", "pattern": "^ORD-[0-9]{6}$"},
    "needs_human": {"type": "boolean"}
  },
  "required": ["category", "priority", "summary", "needs_human"],
  "additionalProperties": false
}
`

// Synthetic defects beyond the failure categories: a fenced output (valid
// only with extract = "fenced" or "first_object") and a valid output with a
// wrong field (lowers field accuracy).
const (
	DefectFenced     = "fenced"
	DefectWrongField = "wrong_field"
)

// Defects returns every defect name Write knows.
func Defects() []string {
	var out []string
	for _, c := range jsoneval.Categories()[1:] {
		out = append(out, string(c))
	}
	return append(out, DefectFenced, DefectWrongField)
}

// Options configure Write.
type Options struct {
	N    int
	Seed uint64
	// Defects are planted once each (PerDefect times with PerDefect > 1) at
	// seeded positions; "all" means Defects().
	Defects   []string
	PerDefect int
}

// Planted is one planted defect.
type Planted struct {
	Defect string
	ID     string
	Line   int
}

type ticketCase struct {
	category, text, summary string
	priority                int
	order                   bool
}

func ticketCases() []ticketCase {
	return []ticketCase{
		{"billing", "I was charged twice for my subscription this month. Please refund the extra payment.", "Double charge on subscription", 3, false},
		{"billing", "My invoice shows a price that does not match the plan I signed up for.", "Invoice amount does not match plan", 2, false},
		{"technical", "The mobile app crashes every time I open the settings page since the last update.", "App crashes on settings page", 4, false},
		{"technical", "I cannot upload files larger than 10 MB, the progress bar stops at 99%.", "Large uploads stall at 99%", 3, false},
		{"account", "I lost access to my email and cannot reset my password. How do I recover my account?", "Account recovery without email", 4, false},
		{"account", "Please delete my account and all the data you hold about me.", "Account deletion request", 2, false},
		{"shipping", "My order has been stuck in transit for two weeks. Where is it?", "Order stuck in transit", 3, true},
		{"shipping", "The package arrived damaged, the box was crushed and the lamp is broken.", "Damaged package on arrival", 5, true},
	}
}

// Write writes n predictions of the ticket task to w, with the
// requested defects planted, and returns where they are.
func Write(w io.Writer, o Options) ([]Planted, error) {
	plan, err := plantPlan(o.N, o.Seed, o.Defects, Defects(), o.PerDefect)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x7e57))
	bw := bufio.NewWriter(w)
	var planted []Planted
	for i := 0; i < o.N; i++ {
		line := synthPrediction(rng, i, plan[i])
		if plan[i] != "" {
			planted = append(planted, Planted{Defect: plan[i], ID: line.ID, Line: i + 1})
		}
		b, err := marshalNoEscape(line)
		if err != nil {
			return nil, err
		}
		bw.Write(b)
	}
	return planted, bw.Flush()
}

// synthLine is one predictions line, fields in the usual order.
type synthLine struct {
	ID       string         `json:"id"`
	Input    string         `json:"input"`
	Output   string         `json:"output"`
	Expected map[string]any `json:"expected"`
	Tags     []string       `json:"tags"`
}

// history is earlier correspondence that makes some inputs long.
func history() []string {
	return []string{
		"I already contacted you last Tuesday and nobody answered.",
		"My customer number is 4471-220 and I have been a subscriber since 2019.",
		"I tried logging out and in again, clearing the cache and reinstalling.",
		"Your chatbot told me to wait 48 hours, which I did.",
		"This is the third time this year that something like this happens.",
		"I attached screenshots to my previous email, please check them.",
		"My colleague has the same plan and did not have this problem.",
		"I am travelling next week, so I need this sorted out quickly.",
	}
}

func synthPrediction(rng *rand.Rand, i int, defect string) synthLine {
	cases := ticketCases()
	c := cases[rng.IntN(len(cases))]
	channels := []string{"email", "chat", "phone"}
	input := c.text
	if rng.IntN(4) == 0 {
		h := history()
		var sb strings.Builder
		for _, k := range rng.Perm(len(h))[:2+rng.IntN(len(h)-1)] {
			sb.WriteString(h[k])
			sb.WriteByte(' ')
		}
		input = sb.String() + input
	}
	exp := map[string]any{"category": c.category, "priority": c.priority, "summary": c.summary, "needs_human": c.priority >= 4}
	if c.order {
		exp["order_id"] = fmt.Sprintf("ORD-%06d", rng.IntN(1000000))
	}
	return synthLine{ID: fmt.Sprintf("ticket-%05d", i+1), Input: input, Output: defectOutput(exp, defect), Expected: exp,
		Tags: []string{"channel:" + channels[rng.IntN(len(channels))], "category:" + c.category}}
}

// defectOutput renders the expected ticket as the model's output, damaged
// as the defect says.
func defectOutput(exp map[string]any, defect string) string {
	out := map[string]any{}
	for k, v := range exp {
		out[k] = v
	}
	switch defect {
	case string(jsoneval.CategoryMissingRequired):
		delete(out, "summary")
	case string(jsoneval.CategoryTypeMismatch):
		out["priority"] = fmt.Sprint(exp["priority"])
	case string(jsoneval.CategoryRange):
		out["priority"] = 7
	case string(jsoneval.CategoryUnexpectedProperty):
		out["sentiment"] = "frustrated"
	case DefectWrongField:
		out["category"] = map[string]string{"billing": "account", "technical": "billing", "account": "technical", "shipping": "billing"}[exp["category"].(string)]
	}
	b, _ := marshalNoEscape(out)
	s := strings.TrimSuffix(string(b), "\n")
	switch defect {
	case string(jsoneval.CategoryNoJSONStart):
		return "Sure! Here is the ticket: " + s
	case string(jsoneval.CategoryUnterminated):
		return s[:len(s)-1]
	case string(jsoneval.CategoryTrailing):
		return s + "\nLet me know if you need anything else."
	case string(jsoneval.CategoryInvalid):
		return s[:len(s)-1] + ",}"
	case DefectFenced:
		return "```json\n" + s + "\n```"
	}
	return s
}

func marshalNoEscape(v any) ([]byte, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(sb.String()), nil
}

// plantPlan assigns each defect per times to distinct seeded positions of n.
func plantPlan(n int, seed uint64, defects, known []string, per int) ([]string, error) {
	if n <= 0 {
		return nil, fmt.Errorf("n must be positive, got %d", n)
	}
	if per <= 0 {
		per = 1
	}
	ds, err := expandDefects(defects, known)
	if err != nil {
		return nil, err
	}
	if len(ds)*per > n {
		return nil, fmt.Errorf("%d defects × %d need at least %d samples, n is %d", len(ds), per, len(ds)*per, n)
	}
	perm := rand.New(rand.NewPCG(seed, 0xdefec7)).Perm(n)
	plan := make([]string, n)
	k := 0
	for _, d := range ds {
		for j := 0; j < per; j++ {
			plan[perm[k]] = d
			k++
		}
	}
	return plan, nil
}

// expandDefects checks names against known and expands "all".
func expandDefects(defects, known []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, d := range defects {
		d = strings.TrimSpace(d)
		if d == "" || seen[d] {
			continue
		}
		if d == "all" {
			return expandDefects(known, known)
		}
		if !contains(known, d) {
			return nil, fmt.Errorf("unknown defect %q; want all or one of %s", d, strings.Join(known, ", "))
		}
		seen[d] = true
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return index(known, out[i]) < index(known, out[j]) })
	return out, nil
}

func contains(list []string, s string) bool { return index(list, s) >= 0 }

func index(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
