package chatset

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/chatdata"
)

// Synthetic dataset defects, named after the issue codes they raise.
const (
	DefectInvalidJSON      = "invalid_json"
	DefectNoMessages       = "no_messages"
	DefectBadRole          = "bad_role"
	DefectEmptyContent     = "empty_content"
	DefectLastNotAssistant = "last_not_assistant"
	DefectBadToolCall      = "bad_tool_call"
	DefectUnknownToolCall  = "unknown_tool_call_id"
	DefectSplitOverlap     = "split_overlap"
	DefectDuplicate        = "duplicate"
)

// Defects returns every defect Write knows.
func Defects() []string {
	return []string{DefectInvalidJSON, DefectNoMessages, DefectBadRole, DefectEmptyContent, DefectLastNotAssistant,
		DefectBadToolCall, DefectUnknownToolCall, DefectSplitOverlap, DefectDuplicate}
}

// Options configure Write.
type Options struct {
	// N is the number of training samples; validation gets max(2, N/10).
	N    int
	Seed uint64
	// Defects are planted once each; "all" means Defects().
	Defects []string
}

// Planted is one planted defect: File is "train" or "validation".
type Planted struct {
	Defect string
	File   string
	Line   int
	Code   string
}

// Write writes a support-chat dataset (train and validation JSONL)
// with the requested defects planted in the training split (a split
// overlap in the validation split), and returns where they are.
func Write(train, validation io.Writer, o Options) ([]Planted, error) {
	defects, err := expandDefects(o.Defects)
	if err != nil {
		return nil, err
	}
	if o.N < len(defects)+1 {
		return nil, fmt.Errorf("%d defects need at least %d training samples, n is %d", len(defects), len(defects)+1, o.N)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xc4a7))
	samples := make([]map[string]any, o.N)
	for i := range samples {
		samples[i] = synthConversation(rng, i)
	}
	lines := make([]string, o.N)
	for i, s := range samples {
		lines[i] = mustJSON(s)
	}
	nVal := max(2, o.N/10)
	val := make([]string, nVal)
	for i := range val {
		val[i] = mustJSON(synthConversation(rng, o.N+i))
	}
	planted := plant(rng, defects, samples, lines, val)
	if err := writeLines(train, lines); err != nil {
		return nil, err
	}
	return planted, writeLines(validation, val)
}

func expandDefects(ds []string) ([]string, error) {
	known := Defects()
	want := map[string]bool{}
	for _, d := range ds {
		d = strings.TrimSpace(d)
		switch {
		case d == "":
		case d == "all":
			for _, k := range known {
				want[k] = true
			}
		case indexOf(known, d) < 0:
			return nil, fmt.Errorf("unknown defect %q; want all or one of %s", d, strings.Join(known, ", "))
		default:
			want[d] = true
		}
	}
	var out []string
	for _, k := range known {
		if want[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// plant damages distinct training lines (line 1 is kept clean as the source
// of the duplicate and the overlap).
func plant(rng *rand.Rand, defects []string, samples []map[string]any, lines, val []string) []Planted {
	perm := rng.Perm(len(lines) - 1)
	var out []Planted
	for k, d := range defects {
		if d == DefectSplitOverlap {
			val[len(val)-1] = lines[0]
			out = append(out, Planted{Defect: d, File: "validation", Line: len(val), Code: chatdata.CodeSplitOverlap})
			continue
		}
		i := perm[k] + 1
		lines[i] = damage(d, samples[i], lines[0])
		out = append(out, Planted{Defect: d, File: "train", Line: i + 1, Code: codeOf(d)})
	}
	return out
}

func codeOf(defect string) string {
	if defect == DefectDuplicate {
		return chatdata.CodeDuplicate
	}
	return "chat." + defect
}

// damage returns the sample's line with the defect.
func damage(defect string, s map[string]any, first string) string {
	msgs := s["messages"].([]map[string]any)
	switch defect {
	case DefectInvalidJSON:
		l := mustJSON(s)
		return l[:len(l)/2]
	case DefectNoMessages:
		return mustJSON(map[string]any{"conversation": msgs})
	case DefectBadRole:
		msgs[0]["role"] = "customer"
	case DefectEmptyContent:
		msgs[0]["content"] = ""
	case DefectLastNotAssistant:
		s["messages"] = append(msgs, map[string]any{"role": "user", "content": "Thanks!"})
	case DefectBadToolCall:
		s["messages"] = withToolCall(msgs, "{order_id: 42", "call0001")
	case DefectUnknownToolCall:
		s["messages"] = withToolCall(msgs, `{"order_id":"42"}`, "call9999")
	case DefectDuplicate:
		return first
	}
	return mustJSON(s)
}

// withToolCall appends a lookup: a call with args, a tool answer to
// answerID (the call's id is call0001) and a final assistant message.
func withToolCall(msgs []map[string]any, args, answerID string) []map[string]any {
	return append(msgs,
		map[string]any{"role": "user", "content": "Can you check order 42?"},
		map[string]any{"role": "assistant", "content": nil, "tool_calls": []map[string]any{
			{"id": "call0001", "type": "function", "function": map[string]any{"name": "lookup_order", "arguments": args}}}},
		map[string]any{"role": "tool", "tool_call_id": answerID, "name": "lookup_order", "content": `{"status":"shipped"}`},
		map[string]any{"role": "assistant", "content": "Order 42 has shipped and should arrive within three days."})
}

func synthConversation(rng *rand.Rand, i int) map[string]any {
	q := []string{"How do I reset my password?", "Can I change the email on my account?", "Why was I charged twice?",
		"The app crashes when I open settings.", "How long does shipping to Canada take?", "Can I return an opened item?"}
	a := []string{"Open Settings, choose Security, then Reset password; a link arrives by email within a minute.",
		"Yes: go to Profile, edit the email field and confirm with the code we send to the new address.",
		"A pending authorization can look like a second charge; it disappears within three business days.",
		"Please update to the latest version; if it still crashes, send us the log from Help > Report a problem.",
		"Standard shipping to Canada takes five to eight business days, express two to three.",
		"Yes, within 30 days, as long as you include every accessory and the original box."}
	k := rng.IntN(len(q))
	msgs := []map[string]any{{"role": "user", "content": fmt.Sprintf("%s (ticket %d)", q[k], i+1)}, {"role": "assistant", "content": a[k]}}
	if rng.IntN(3) == 0 {
		msgs = append([]map[string]any{{"role": "system", "content": "You are a concise, friendly support agent."}}, msgs...)
	}
	s := map[string]any{"messages": msgs}
	if rng.IntN(4) == 0 {
		s["tools"] = []map[string]any{{"type": "function", "function": map[string]any{"name": "lookup_order",
			"description": "Find an order by id", "parameters": map[string]any{"type": "object", "properties": map[string]any{"order_id": map[string]any{"type": "string"}}}}}}
		s["messages"] = withToolCall(msgs, `{"order_id":"42"}`, "call0001")
	}
	return s
}

// mustJSON encodes maps and lists of strings, numbers and bools, which
// cannot fail.
func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func writeLines(w io.Writer, lines []string) error {
	bw := bufio.NewWriter(w)
	for _, l := range lines {
		bw.WriteString(l)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
