package chatfmt

import (
	"slices"
	"strings"
)

// instruct is mistral-common's InstructRequest: the request after its
// normalizer merged consecutive messages of one role and placed the
// system prompt.
type instruct struct {
	messages []Message
	// systemPrompt is v1-v3's system prompt, joined from every system
	// message; v7+ keep system messages in place.
	systemPrompt string
	tools        []value
	cont         bool
	effort       string
}

// normalize is InstructRequestNormalizer (v1-v3), V7 (v7), V13 (v11, v13)
// and V15 (v15).
func normalize(req *Request, v Version) *instruct {
	out := &instruct{tools: req.Tools, cont: req.ContinueFinalMessage, effort: req.ReasoningEffort}
	if v.N >= 15 && out.effort == "" {
		out.effort = "none" // the default of the v15 settings builder mistral-common ships
	}
	chunkJoin := "\n\n"
	if v.N >= 15 {
		chunkJoin = ""
	}
	if v.N < 7 {
		out.systemPrompt = systemPrompt(req.Messages, chunkJoin)
	}
	var callIDs []string
	msgs := req.Messages
	for start := 0; start < len(msgs); {
		end := start + 1
		for end < len(msgs) && msgs[end].Role == msgs[start].Role {
			end++
		}
		group := msgs[start:end]
		switch group[0].Role {
		case "user":
			out.messages = append(out.messages, Message{Role: "user", Content: aggregate(contents(group), chunkJoin)})
		case "assistant":
			a := mergeAssistant(group, chunkJoin)
			out.messages = append(out.messages, a)
			for _, c := range a.ToolCalls {
				callIDs = append(callIDs, c.ID)
			}
		case "tool":
			out.messages = append(out.messages, toolMessages(group, callIDs, v, chunkJoin)...)
			callIDs = nil
		case "system":
			if v.N >= 7 {
				for _, m := range group {
					out.messages = append(out.messages, Message{Role: "system", Content: aggregate([]Content{m.Content}, chunkJoin)})
				}
			}
		}
		start = end
	}
	if len(out.messages) == 0 || (v.N < 7 && out.messages[0].Role != "user") {
		out.messages = slices.Insert(out.messages, 0, Message{Role: "user", Content: Content{}})
	}
	return out
}

// systemPrompt is v1-v3's: every system message's text, joined.
func systemPrompt(msgs []Message, chunkJoin string) string {
	var parts []string
	for _, m := range msgs {
		if m.Role == "system" && !m.Content.empty() {
			parts = append(parts, aggregate([]Content{m.Content}, chunkJoin).Text)
		}
	}
	return strings.Join(parts, "\n\n")
}

func contents(group []Message) []Content {
	var cs []Content
	for _, m := range group {
		cs = append(cs, m.Content)
	}
	return cs
}

func mergeAssistant(group []Message, chunkJoin string) Message {
	a := Message{Role: "assistant", Content: aggregate(contents(group), chunkJoin)}
	for _, m := range group {
		for _, c := range m.ToolCalls {
			c.Arguments = normalizeJSON(c.Arguments)
			a.ToolCalls = append(a.ToolCalls, c)
		}
		a.Prefix = a.Prefix || m.Prefix
	}
	return a
}

// toolMessages keeps each tool message; v1-v3 normalize JSON content,
// v11+ order the results as the calls were ordered.
func toolMessages(group []Message, callIDs []string, v Version, chunkJoin string) []Message {
	var out []Message
	for _, m := range group {
		m.Content = aggregate([]Content{m.Content}, chunkJoin)
		if v.N < 7 {
			m.Content = Content{Text: normalizeJSON(m.Content.Text)}
		}
		out = append(out, m)
	}
	if v.N >= 11 {
		rank := func(m Message) int {
			id := m.ToolCallID
			if !m.HasID {
				id = "null"
			}
			if i := slices.Index(callIDs, id); i >= 0 {
				return i
			}
			return len(callIDs)
		}
		slices.SortStableFunc(out, func(a, b Message) int { return rank(a) - rank(b) })
	}
	return out
}

// normalizeJSON is _normalize_json_content: empty is "{}", valid JSON is
// re-serialized, anything else is kept.
func normalizeJSON(s string) string {
	if s == "" {
		return "{}"
	}
	v, err := parseJSON(s)
	if err != nil {
		return s
	}
	return dumps(v)
}

// parseOrString is _parse_json_content: the JSON value, or the string.
func parseOrString(s string) value {
	v, err := parseJSON(s)
	if err != nil {
		return value{kind: 's', s: s}
	}
	return v
}

// aggregate is _aggregate_content_chunks_impl: text of different
// messages is joined with "\n\n", adjacent text chunks of one message with
// chunkJoin; the result is a string when only text remains.
func aggregate(cs []Content, chunkJoin string) Content {
	var all []Chunk
	var parts []string
	flush := func() {
		if len(parts) > 0 {
			all = append(all, Chunk{Type: "text", Text: strings.Join(parts, "")})
			parts = nil
		}
	}
	for _, c := range cs {
		newMsg := len(parts) > 0
		if c.empty() {
			continue
		}
		if !c.List {
			join := ""
			if newMsg {
				join = "\n\n"
			}
			parts = append(parts, join+c.Text)
			continue
		}
		for _, ch := range c.Chunks {
			if ch.Type != "text" {
				flush()
				all = append(all, ch)
				continue
			}
			if ch.Text == "" {
				continue
			}
			join := chunkJoin
			switch {
			case len(parts) == 0:
				join = ""
			case newMsg:
				join = "\n\n"
			}
			parts = append(parts, join+ch.Text)
			newMsg = false
		}
	}
	if len(all) == 0 {
		return Content{Text: strings.Join(parts, "")}
	}
	flush()
	return Content{List: true, Chunks: all}
}
