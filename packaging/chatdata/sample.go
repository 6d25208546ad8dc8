package chatdata

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
)

// roleNames lists the roles a message may have, for messages.
const roleNames = "system, user, assistant or tool"

func knownRole(r string) bool {
	return r == "system" || r == "user" || r == "assistant" || r == "tool"
}

// sampleInfo is what one valid-or-not sample contributes to the statistics.
type sampleInfo struct {
	hash            [32]byte
	hashed          bool
	roles           map[string]int
	toolCalls       int
	tokens          int
	assistantTokens int
}

// checkSample validates one line and measures it.
func checkSample(line []byte) (sampleInfo, []problem) {
	info := sampleInfo{roles: map[string]int{}}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil || top == nil {
		return info, []problem{errorf(CodeInvalidJSON, "not a JSON object: %s", jsonErr(err))}
	}
	var msgs []json.RawMessage
	raw, ok := top["messages"]
	if !ok || json.Unmarshal(raw, &msgs) != nil || len(msgs) == 0 {
		return info, []problem{errorf(CodeNoMessages, `no "messages" list (or it is empty)`)}
	}
	info.hash, info.hashed = canonicalHash(raw)
	c := &sampleChecker{info: &info, calls: map[string]bool{}}
	for i, m := range msgs {
		c.message(i, m)
	}
	if c.lastRole != "assistant" {
		c.add(errorf(CodeLastNotAssistant, "the last message (%d) is from %q; a sample must end with an assistant message", len(msgs)-1, c.lastRole))
	}
	if tools, ok := top["tools"]; ok {
		c.tools(tools)
	}
	return info, c.problems
}

func jsonErr(err error) string {
	if err == nil {
		return "null"
	}
	return err.Error()
}

// canonicalHash hashes the messages re-encoded with sorted keys.
func canonicalHash(raw json.RawMessage) ([32]byte, bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return [32]byte{}, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return [32]byte{}, false
	}
	return sha256.Sum256(b), true
}

type sampleChecker struct {
	info     *sampleInfo
	calls    map[string]bool
	lastRole string
	problems []problem
}

func (c *sampleChecker) add(p problem) { c.problems = append(c.problems, p) }

type message struct {
	Role       *string         `json:"role"`
	Content    json.RawMessage `json:"content"`
	Text       json.RawMessage `json:"text"`
	ToolCalls  json.RawMessage `json:"tool_calls"`
	ToolCallID *string         `json:"tool_call_id"`
}

func (c *sampleChecker) message(i int, raw json.RawMessage) {
	var m message
	if err := json.Unmarshal(raw, &m); err != nil || isNull(raw) {
		c.lastRole = ""
		c.add(errorf(CodeBadMessage, "message %d is not an object with a string role", i))
		return
	}
	role := ""
	if m.Role != nil {
		role = *m.Role
	}
	c.lastRole = role
	if !knownRole(role) {
		c.add(errorf(CodeBadRole, "message %d has role %q; want %s", i, role, roleNames))
		return
	}
	c.info.roles[role]++
	text, hasText := c.content(i, role, m)
	tokens := ApproxTokens(text)
	if role == "assistant" && !isNull(m.ToolCalls) {
		tokens += c.toolCalls(i, m.ToolCalls)
	} else if !hasText {
		c.add(errorf(CodeEmptyContent, "message %d (%s) has empty content", i, role))
	}
	if role == "tool" {
		c.toolAnswer(i, m.ToolCallID)
	}
	c.info.tokens += tokens
	if role == "assistant" {
		c.info.assistantTokens += tokens
	}
}

// content returns the message text and whether it is non-blank.
func (c *sampleChecker) content(i int, role string, m message) (string, bool) {
	raw := m.Content
	if isNull(raw) {
		raw = m.Text
	}
	if isNull(raw) {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, strings.TrimSpace(s) != ""
	}
	var chunks []struct {
		Text *string `json:"text"`
	}
	if json.Unmarshal(raw, &chunks) != nil {
		c.add(errorf(CodeBadMessage, "message %d (%s): content is neither a string nor a list of chunks", i, role))
		return "", true
	}
	var sb strings.Builder
	for _, ch := range chunks {
		if ch.Text != nil {
			sb.WriteString(*ch.Text)
		}
	}
	return sb.String(), strings.TrimSpace(sb.String()) != "" || hasNonText(raw)
}

// hasNonText reports a chunk list with non-text chunks (images, audio).
func hasNonText(raw json.RawMessage) bool {
	var chunks []map[string]any
	if json.Unmarshal(raw, &chunks) != nil {
		return false
	}
	for _, ch := range chunks {
		if t, _ := ch["type"].(string); t != "" && t != "text" {
			return true
		}
	}
	return false
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

type toolCall struct {
	ID       *string `json:"id"`
	Function *struct {
		Name      *string         `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

// toolCalls checks an assistant's calls, records their ids and returns
// their approximate tokens.
func (c *sampleChecker) toolCalls(i int, raw json.RawMessage) int {
	var calls []json.RawMessage
	if json.Unmarshal(raw, &calls) != nil || len(calls) == 0 {
		c.add(errorf(CodeBadToolCall, "message %d: tool_calls is not a non-empty list", i))
		return 0
	}
	tokens := 0
	for k, r := range calls {
		var tc toolCall
		where := fmt.Sprintf("message %d, tool call %d", i, k)
		if json.Unmarshal(r, &tc) != nil {
			c.add(errorf(CodeBadToolCall, "%s is not an object with id and function", where))
			continue
		}
		c.info.toolCalls++
		if tc.ID == nil || strings.TrimSpace(*tc.ID) == "" {
			c.add(errorf(CodeBadToolCall, "%s has no id", where))
		} else {
			c.calls[*tc.ID] = true
		}
		tokens += c.function(where, tc)
	}
	return tokens
}

func (c *sampleChecker) function(where string, tc toolCall) int {
	if tc.Function == nil {
		c.add(errorf(CodeBadToolCall, "%s has no function", where))
		return 0
	}
	name := ""
	if tc.Function.Name != nil {
		name = *tc.Function.Name
	}
	if strings.TrimSpace(name) == "" {
		c.add(errorf(CodeBadToolCall, "%s: function has no name", where))
	}
	var args string
	if json.Unmarshal(tc.Function.Arguments, &args) != nil {
		c.add(errorf(CodeBadToolCall, "%s (%s): arguments must be a string holding JSON", where, name))
		return ApproxTokens(name)
	}
	if !json.Valid([]byte(args)) {
		c.add(errorf(CodeBadToolCall, "%s (%s): arguments are not valid JSON: %.60q", where, name, args))
	}
	return ApproxTokens(name) + ApproxTokens(args)
}

func (c *sampleChecker) toolAnswer(i int, id *string) {
	switch {
	case id == nil || *id == "":
		c.add(errorf(CodeUnknownToolCall, "message %d (tool) has no tool_call_id", i))
	case !c.calls[*id]:
		c.add(errorf(CodeUnknownToolCall, "message %d (tool) answers call id %q, which no earlier assistant message made", i, *id))
	}
}

// tools checks the optional list of declared functions.
func (c *sampleChecker) tools(raw json.RawMessage) {
	if isNull(raw) {
		return
	}
	var tools []struct {
		Function *struct {
			Name        *string         `json:"name"`
			Description *string         `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &tools) != nil {
		c.add(errorf(CodeBadTools, "tools is not a list of {type, function} objects"))
		return
	}
	for k, t := range tools {
		f := t.Function
		switch {
		case f == nil:
			c.add(errorf(CodeBadTools, "tool %d has no function", k))
		case f.Name == nil || *f.Name == "":
			c.add(errorf(CodeBadTools, "tool %d: function has no name", k))
		case f.Description == nil:
			c.add(errorf(CodeBadTools, "tool %d (%s): function has no description", k, *f.Name))
		case !isObject(f.Parameters):
			c.add(errorf(CodeBadTools, "tool %d (%s): parameters must be an object (use {} for none)", k, *f.Name))
		}
	}
}

func isObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}
