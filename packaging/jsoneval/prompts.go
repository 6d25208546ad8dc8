package jsoneval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Prompt is one line of a prompts file: the chat dataset's JSONL shape
// ("messages", optionally "tools"), with an optional "expected" answer and
// "tags". A row whose last message is the assistant's and that has no
// "expected" is a training sample: that message becomes the expected
// answer (its content parsed as JSON when it is JSON).
type Prompt struct {
	Line     int
	ID       string
	Messages json.RawMessage
	Tools    json.RawMessage
	Expected json.RawMessage
	Tags     []string
}

type rawPrompt struct {
	ID       json.RawMessage   `json:"id"`
	Messages []json.RawMessage `json:"messages"`
	Tools    json.RawMessage   `json:"tools"`
	Expected json.RawMessage   `json:"expected"`
	Tags     []string          `json:"tags"`
}

// ReadPrompts reads a prompts JSONL stream; name prefixes every error,
// which names the line. Ids default to "line-N" and must be unique.
func ReadPrompts(r io.Reader, name string) ([]Prompt, error) {
	var out []Prompt
	seen := map[string]int{}
	err := eachLine(r, name, func(line int, b []byte) error {
		p, err := parsePrompt(b, line)
		if err != nil {
			return err
		}
		if first, dup := seen[p.ID]; dup {
			return fmt.Errorf("duplicate prompt id %q (first on line %d)", p.ID, first)
		}
		seen[p.ID] = line
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no prompts", name)
	}
	return out, nil
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

func parsePrompt(b []byte, line int) (Prompt, error) {
	var raw rawPrompt
	if err := json.Unmarshal(b, &raw); err != nil {
		return Prompt{}, fmt.Errorf("not a JSON object with messages, expected, tags: %w", err)
	}
	if len(raw.Messages) == 0 {
		return Prompt{}, errors.New(`no "messages" list (or it is empty)`)
	}
	p := Prompt{Line: line, ID: fmt.Sprintf("line-%d", line), Tools: raw.Tools, Tags: raw.Tags}
	if id := strings.TrimSpace(string(raw.ID)); id != "" && id != "null" {
		if json.Unmarshal(raw.ID, &p.ID) != nil {
			p.ID = id
		}
		if p.ID == "" {
			p.ID = fmt.Sprintf("line-%d", line)
		}
	}
	if e := strings.TrimSpace(string(raw.Expected)); e != "" && e != "null" {
		p.Expected = raw.Expected
	}
	msgs := raw.Messages
	var last chatMessage
	for i, m := range msgs {
		if json.Unmarshal(m, &last) != nil || last.Role == "" {
			return Prompt{}, fmt.Errorf("message %d is not an object with a role", i)
		}
	}
	if last.Role == "assistant" {
		msgs = msgs[:len(msgs)-1]
		if p.Expected == nil {
			p.Expected = expectedFrom(last.Content)
		}
	}
	if len(msgs) == 0 {
		return Prompt{}, errors.New("no message before the assistant's answer")
	}
	p.Messages, _ = json.Marshal(msgs)
	return p, nil
}

// expectedFrom turns an assistant message's content into an expected
// value: the JSON it holds, else the string itself.
func expectedFrom(content json.RawMessage) json.RawMessage {
	var s string
	if json.Unmarshal(content, &s) != nil {
		return nil
	}
	if t := strings.TrimSpace(s); json.Valid([]byte(t)) && t != "" {
		return json.RawMessage(t)
	}
	return content
}
