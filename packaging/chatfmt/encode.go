package chatfmt

import (
	"strings"
)

// Piece is one part of the canonical sequence: a special (control) token
// by name, or a text that the tokenizer encodes on its own (one call of
// mistral-common's tokenizer.encode).
type Piece struct {
	Special string
	Text    string
}

// Special token names, as tekken.json and the SentencePiece models spell them.
const (
	BOS            = "<s>"
	EOS            = "</s>"
	Inst           = "[INST]"
	EndInst        = "[/INST]"
	Tools          = "[AVAILABLE_TOOLS]"
	EndTools       = "[/AVAILABLE_TOOLS]"
	ToolResults    = "[TOOL_RESULTS]"
	EndToolResults = "[/TOOL_RESULTS]"
	ToolContent    = "[TOOL_CONTENT]"
	ToolCalls      = "[TOOL_CALLS]"
	System         = "[SYSTEM_PROMPT]"
	EndSystem      = "[/SYSTEM_PROMPT]"
	Args           = "[ARGS]"
	CallID         = "[CALL_ID]"
	Think          = "[THINK]"
	EndThink       = "[/THINK]"
	Settings       = "[MODEL_SETTINGS]"
	EndSettings    = "[/MODEL_SETTINGS]"
)

// seq collects pieces.
type seq []Piece

func (s *seq) special(names ...string) {
	for _, n := range names {
		*s = append(*s, Piece{Special: n})
	}
}

func (s *seq) text(t string) {
	if t != "" {
		*s = append(*s, Piece{Text: t})
	}
}

// encodeInstruct is InstructTokenizerBase.encode_instruct with the
// message encoders of the version.
func encodeInstruct(in *instruct, v Version) ([]Piece, error) {
	first, last := -1, -1
	for i, m := range in.messages {
		if m.Role == "user" {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	out := seq{{Special: BOS}}
	for i, m := range in.messages {
		final := i == len(in.messages)-1
		if in.cont && final && m.Role != "assistant" {
			return nil, reject(excStructure, "Cannot continue final message if it is not an assistant message")
		}
		var err error
		switch m.Role {
		case "user":
			encodeUser(&out, in, m, i == first, i == last, v)
		case "tool":
			err = encodeTool(&out, m, i < last, v)
		case "assistant":
			err = encodeAssistant(&out, m, i < last, in.cont && final, v)
		case "system":
			out.special(System)
			err = encodeChunks(&out, m.Content, v)
			out.special(EndSystem)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func encodeUser(out *seq, in *instruct, m Message, first, last bool, v Version) {
	content := m.Content.Text
	if v.N == 1 {
		if first && in.systemPrompt != "" {
			content = in.systemPrompt + "\n\n" + content
		}
		out.text("[INST] " + content + " [/INST]")
		return
	}
	// v13+ give the tools (and v15 the model settings) with the first user
	// message, earlier versions with the last.
	if (v.N >= 13 && first) || (v.N < 13 && last) {
		if len(in.tools) > 0 {
			out.special(Tools)
			out.text(dumps(value{kind: 'a', items: in.tools}))
			out.special(EndTools)
		}
		if v.N >= 15 {
			out.special(Settings)
			out.text(dumps(value{kind: 'o', keys: []string{"reasoning_effort"}, items: []value{{kind: 's', s: in.effort}}}))
			out.special(EndSettings)
		}
	}
	if v.N < 7 && last && in.systemPrompt != "" {
		content = in.systemPrompt + "\n\n" + content
	}
	out.special(Inst)
	out.text(content)
	out.special(EndInst)
}

func encodeTool(out *seq, m Message, beforeLastUser bool, v Version) error {
	switch {
	case v.N == 1:
		return reject(excTokenizer, "Tools not implemented for tokenizer V1")
	case v.N == 2:
		if beforeLastUser {
			return nil
		}
		name := value{kind: 'n'}
		if m.Name != "" {
			name = value{kind: 's', s: m.Name}
		}
		res := value{kind: 'o', keys: []string{"name", "content"}, items: []value{name, parseOrString(m.Content.Text)}}
		out.special(ToolResults)
		out.text(dumps(value{kind: 'a', items: []value{res}}))
		out.special(EndToolResults)
	case v.N == 3:
		res := value{kind: 'o', keys: []string{"content", "call_id"},
			items: []value{parseOrString(m.Content.Text), {kind: 's', s: m.ToolCallID}}}
		out.special(ToolResults)
		out.text(dumps(res))
		out.special(EndToolResults)
	case v.N < 13:
		out.special(ToolResults)
		out.text(m.ToolCallID)
		out.special(ToolContent)
		out.text(m.Content.Text)
		out.special(EndToolResults)
	default:
		out.special(ToolResults)
		out.text(m.Content.Text)
		out.special(EndToolResults)
	}
	return nil
}

func encodeAssistant(out *seq, m Message, beforeLastUser, cont bool, v Version) error {
	if cont && m.Prefix {
		return reject(excAssistant, "`continue_message` is only supported for assistant messages that have `prefix=False`.")
	}
	switch {
	case v.N == 1:
		if len(m.ToolCalls) > 0 {
			return reject(excTokenizer, "Tools not implemented for tokenizer V1")
		}
		out.text(m.Content.Text)
	case v.N < 7:
		if len(m.ToolCalls) > 0 {
			if v.N == 2 && beforeLastUser {
				return nil // v2 drops calls before the last user message, EOS too
			}
			out.special(ToolCalls)
			out.text(dumps(callList(m.ToolCalls, v)))
		} else {
			out.text(strings.TrimRight(m.Content.Text, " "))
		}
	default:
		if m.Content.empty() && len(m.ToolCalls) == 0 {
			return reject(excTokenizer, "Invalid assistant message: it has neither content nor tool_calls")
		}
		if !m.Content.List {
			out.text(strings.TrimRight(m.Content.Text, " "))
		} else if err := encodeChunks(out, m.Content, v); err != nil {
			return err
		}
		if err := encodeCalls(out, m.ToolCalls, v); err != nil {
			return err
		}
	}
	if !m.Prefix && !cont {
		out.special(EOS)
	}
	return nil
}

// encodeChunks encodes text chunks as text and thinking chunks as
// [THINK]…[/THINK] (v13+).
func encodeChunks(out *seq, c Content, v Version) error {
	if !c.List {
		out.text(c.Text)
		return nil
	}
	for _, ch := range c.Chunks {
		if ch.Type == "text" {
			out.text(ch.Text)
			continue
		}
		if v.N < 13 {
			return reject(excTokenizer, "Think not implemented for tokenizer < V13.")
		}
		if !v.Think {
			return reject(excTokenizer, "think tokens are not available for this tokenizer.")
		}
		out.special(Think)
		out.text(ch.Text)
		if !ch.Unclosed {
			out.special(EndThink)
		}
	}
	return nil
}

func encodeCalls(out *seq, calls []ToolCall, v Version) error {
	if len(calls) == 0 {
		return nil
	}
	if v.N < 11 {
		out.special(ToolCalls)
		out.text(dumps(callList(calls, v)))
		return nil
	}
	for _, c := range calls {
		if v.N >= 13 && (c.ID == "" || c.ID == "null") {
			return reject(excTokenizer, "tool call %s has no id; tokenizer >= v13 requires one", c.Name)
		}
		out.special(ToolCalls)
		out.text(c.Name)
		if v.N < 13 && c.ID != "" && c.ID != "null" {
			out.special(CallID)
			out.text(c.ID)
		}
		out.special(Args)
		out.text(dumps(parseOrString(c.Arguments)))
	}
	return nil
}

// callList is the JSON list of calls of v2-v7: name, arguments and, from
// v3, the id.
func callList(calls []ToolCall, v Version) value {
	list := value{kind: 'a'}
	for _, c := range calls {
		call := value{kind: 'o', keys: []string{"name", "arguments"},
			items: []value{{kind: 's', s: c.Name}, parseOrString(c.Arguments)}}
		if v.N >= 3 && c.ID != "" && c.ID != "null" {
			call.keys = append(call.keys, "id")
			call.items = append(call.items, value{kind: 's', s: c.ID})
		}
		list.items = append(list.items, call)
	}
	return list
}
