package chatfmt

import (
	"fmt"
)

// Request is a chat completion request as mistral-common's
// ChatCompletionRequest holds it.
type Request struct {
	Messages []Message
	// Tools are the available tools, each as Tool.model_dump() gives it:
	// {"type", "function": {"name", "description", "parameters"}}.
	Tools []value
	// ContinueFinalMessage continues the last (assistant) message: no EOS.
	ContinueFinalMessage bool
	// ReasoningEffort is a model setting; only v15 encodes it.
	ReasoningEffort string
}

// Message is one message of a request.
type Message struct {
	Role string // system, user, assistant or tool
	// Content is the message's text or chunks; Null when absent.
	Content Content
	// ToolCalls are an assistant message's calls.
	ToolCalls []ToolCall
	// ToolCallID is a tool message's tool_call_id; HasID is false when absent.
	ToolCallID string
	HasID      bool
	Name       string
	// Prefix marks a final assistant message the model continues.
	Prefix bool
}

// Content is a string or a list of chunks.
type Content struct {
	Text   string
	Chunks []Chunk
	List   bool // Chunks is the content (else Text)
	Null   bool
}

// empty reports whether Python's truth value of the content is false.
func (c Content) empty() bool {
	if c.Null {
		return true
	}
	if c.List {
		return len(c.Chunks) == 0
	}
	return c.Text == ""
}

// Chunk is a content chunk: text or thinking.
type Chunk struct {
	Type     string // "text" or "thinking"
	Text     string // text, or the thinking
	Unclosed bool   // a thinking chunk with closed=false
}

// ToolCall is an assistant's call of a tool.
type ToolCall struct {
	ID        string // "null" when absent, as mistral-common defaults it
	Name      string
	Arguments string
}

// ParseRequest reads a conversation as transformers' apply_chat_template
// and mistral-common's ChatCompletionRequest take it: a JSON object with
// "messages", optionally "tools", "continue_final_message" and
// "reasoning_effort".
func ParseRequest(data []byte) (*Request, error) {
	root, err := parseJSON(string(data))
	if err != nil {
		return nil, fmt.Errorf("conversation: %w", err)
	}
	if root.kind != 'o' {
		return nil, fmt.Errorf("conversation: not a JSON object")
	}
	req := &Request{}
	msgs, _ := root.get("messages")
	if msgs.kind != 'a' {
		return nil, fmt.Errorf("conversation: messages: not a list")
	}
	for i, m := range msgs.items {
		msg, err := parseMessage(m)
		if err != nil {
			return nil, fmt.Errorf("conversation: message %d: %w", i, err)
		}
		req.Messages = append(req.Messages, msg)
	}
	if tools, ok := root.get("tools"); ok && tools.kind == 'a' {
		for i, t := range tools.items {
			tool, err := parseTool(t)
			if err != nil {
				return nil, fmt.Errorf("conversation: tool %d: %w", i, err)
			}
			req.Tools = append(req.Tools, tool)
		}
	}
	if c, ok := root.get("continue_final_message"); ok {
		req.ContinueFinalMessage = c.kind == 'b' && c.b
	}
	if r, ok := root.get("reasoning_effort"); ok && r.kind == 's' {
		req.ReasoningEffort = r.s
	}
	return req, nil
}

func parseMessage(m value) (Message, error) {
	if m.kind != 'o' {
		return Message{}, fmt.Errorf("not an object")
	}
	role, _ := m.get("role")
	msg := Message{Role: role.s}
	switch role.s {
	case "system", "user", "assistant", "tool":
	default:
		return msg, fmt.Errorf("unknown role %q", role.s)
	}
	c, ok := m.get("content")
	if !ok {
		c = value{kind: 'n'}
	}
	content, err := parseContent(c)
	if err != nil {
		return msg, err
	}
	msg.Content = content
	if content.Null && msg.Role != "assistant" {
		return msg, fmt.Errorf("%s message: content is required", msg.Role)
	}
	if p, ok := m.get("prefix"); ok {
		msg.Prefix = p.kind == 'b' && p.b
	}
	if id, ok := m.get("tool_call_id"); ok && id.kind == 's' {
		msg.ToolCallID, msg.HasID = id.s, true
	}
	if n, ok := m.get("name"); ok && n.kind == 's' {
		msg.Name = n.s
	}
	if calls, ok := m.get("tool_calls"); ok && calls.kind == 'a' {
		for i, c := range calls.items {
			call, err := parseToolCall(c)
			if err != nil {
				return msg, fmt.Errorf("tool call %d: %w", i, err)
			}
			msg.ToolCalls = append(msg.ToolCalls, call)
		}
	}
	return msg, nil
}

func parseContent(c value) (Content, error) {
	switch c.kind {
	case 'n':
		return Content{Null: true}, nil
	case 's':
		return Content{Text: c.s}, nil
	case 'a':
		out := Content{List: true}
		for i, ch := range c.items {
			chunk, err := parseChunk(ch)
			if err != nil {
				return out, fmt.Errorf("content chunk %d: %w", i, err)
			}
			out.Chunks = append(out.Chunks, chunk)
		}
		return out, nil
	}
	return Content{}, fmt.Errorf("content: not a string, a list or null")
}

func parseChunk(ch value) (Chunk, error) {
	typ, _ := ch.get("type")
	switch typ.s {
	case "text":
		t, _ := ch.get("text")
		return Chunk{Type: "text", Text: t.s}, nil
	case "thinking":
		t, _ := ch.get("thinking")
		closed, ok := ch.get("closed")
		return Chunk{Type: "thinking", Text: t.s, Unclosed: ok && closed.kind == 'b' && !closed.b}, nil
	}
	return Chunk{}, fmt.Errorf("chunk type %q is not supported by the canonical renderer (text and thinking only)", typ.s)
}

func parseToolCall(c value) (ToolCall, error) {
	call := ToolCall{ID: "null"}
	if id, ok := c.get("id"); ok && id.kind == 's' {
		call.ID = id.s
	}
	fn, ok := c.get("function")
	if !ok || fn.kind != 'o' {
		return call, fmt.Errorf("function: missing")
	}
	name, _ := fn.get("name")
	call.Name = name.s
	args, _ := fn.get("arguments")
	switch args.kind {
	case 's':
		call.Arguments = args.s
	case 'o':
		call.Arguments = dumps(args)
	default:
		return call, fmt.Errorf("function arguments: not a string or an object")
	}
	return call, nil
}

// parseTool builds Tool.model_dump(exclude strict) from an OpenAI-style tool.
func parseTool(t value) (value, error) {
	fn, ok := t.get("function")
	if !ok || fn.kind != 'o' {
		return value{}, fmt.Errorf("function: missing")
	}
	name, _ := fn.get("name")
	desc, ok := fn.get("description")
	if !ok || desc.kind == 'n' {
		desc = value{kind: 's'}
	}
	params, ok := fn.get("parameters")
	if !ok || params.kind == 'n' {
		params = value{kind: 'o'}
	}
	if params.kind != 'o' {
		return value{}, fmt.Errorf("function parameters: not an object")
	}
	f := value{kind: 'o', keys: []string{"name", "description", "parameters"},
		items: []value{{kind: 's', s: name.s}, desc, params}}
	return value{kind: 'o', keys: []string{"type", "function"}, items: []value{{kind: 's', s: "function"}, f}}, nil
}
