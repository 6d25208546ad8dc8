package chatfmt

import (
	"fmt"
	"regexp"
	"slices"
)

// RejectError is a request mistral-common refuses. Reason is its message
// text; Exception names the exception class it raises.
type RejectError struct {
	Exception string
	Reason    string
}

func (e *RejectError) Error() string { return e.Reason }

func reject(exception, format string, args ...any) error {
	return &RejectError{Exception: exception, Reason: fmt.Sprintf(format, args...)}
}

const (
	excStructure = "InvalidMessageStructureException"
	excAssistant = "InvalidAssistantMessageException"
	excUser      = "InvalidUserMessageException"
	excSystem    = "InvalidSystemPromptException"
	excTool      = "InvalidToolMessageException"
	excCall      = "InvalidFunctionCallException"
	excToolDef   = "InvalidToolException"
	excRequest   = "InvalidRequestException"
	excTokenizer = "TokenizerException"
)

var (
	functionName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	toolCallID   = regexp.MustCompile(`^[a-zA-Z0-9]{9}$`)
)

const badFunctionName = "Function name was %s but must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64."

// validate is mistral-common's MistralRequestValidator (and its V3, V5,
// V13, V15 subclasses) in ValidationMode.test, the mode MistralTokenizer
// loads with by default.
func validate(req *Request, v Version) error {
	if err := validateStructure(req, v); err != nil {
		return err
	}
	for i := range req.Messages {
		if err := validateMessage(req.Messages[i], i == len(req.Messages)-1, v); err != nil {
			return err
		}
	}
	for _, t := range req.Tools {
		fn, _ := t.get("function")
		name, _ := fn.get("name")
		if !functionName.MatchString(name.s) {
			return reject(excToolDef, badFunctionName, name.s)
		}
	}
	if req.ReasoningEffort != "" && v.N < 15 {
		return reject(excRequest, "reasoning_effort=%q is not supported for this model", req.ReasoningEffort)
	}
	if v.N >= 15 && req.ReasoningEffort != "" && req.ReasoningEffort != "none" && req.ReasoningEffort != "high" {
		return reject(excRequest, "reasoning_effort should be one of ['none', 'high'], got %s.", req.ReasoningEffort)
	}
	return nil
}

func validateStructure(req *Request, v Version) error {
	msgs := req.Messages
	if len(msgs) == 0 {
		return reject(excStructure, "Conversation must have at least one message")
	}
	if len(msgs) == 1 && msgs[0].Role != "user" && msgs[0].Role != "system" {
		return reject(excStructure, "Conversation must start with a user message or system message")
	}
	if len(msgs) > 1 {
		if err := validateLast(msgs[len(msgs)-1], req.ContinueFinalMessage); err != nil {
			return err
		}
	}
	if err := validateOrder(msgs); err != nil {
		return err
	}
	if v.N >= 11 {
		return validateCallIDs(msgs)
	}
	return validateCallCounts(msgs)
}

func validateLast(m Message, cont bool) error {
	badAssistant := m.Role == "assistant" && !m.Prefix && !cont
	badRole := m.Role != "user" && m.Role != "tool"
	switch {
	case badAssistant && badRole:
		return reject(excStructure, "Expected last role User or Tool (or Assistant with prefix or continue_final_message set to True) for serving but got %s", m.Role)
	case cont && (m.Role != "assistant" || m.Prefix):
		return reject(excStructure, "Expected last role Assistant with prefix False for serving with continue_final_message set to True but got %s", m.Role)
	}
	return nil
}

// validateOrder: a tool message follows an assistant or a tool message, a
// system message never follows an assistant or a tool message.
func validateOrder(msgs []Message) error {
	allowed := map[string][]string{"system": {"user", "assistant", "system"}, "user": {"assistant", "system", "user"},
		"assistant": {"assistant", "user", "tool"}, "tool": {"assistant", "tool", "user"}}
	for i := 1; i < len(msgs); i++ {
		prev, cur := msgs[i-1].Role, msgs[i].Role
		if !slices.Contains(allowed[prev], cur) {
			return reject(excStructure, "Unexpected role '%s' after role '%s'", cur, prev)
		}
	}
	return nil
}

// validateCallCounts is v1-v7's check: an assistant message may not come
// while calls of the previous one are unanswered. The first message is
// skipped, as mistral-common skips it.
func validateCallCounts(msgs []Message) error {
	expected := 0
	for _, m := range msgs[1:] {
		switch m.Role {
		case "tool":
			expected--
		case "assistant":
			if expected != 0 {
				return reject(excStructure, "Not the same number of function calls and responses")
			}
			expected = len(m.ToolCalls)
		}
	}
	return nil
}

// validateCallIDs is v11+'s check: results answer the calls of the
// previous assistant message by id, once each.
func validateCallIDs(msgs []Message) error {
	expected, observed := map[string]bool{}, map[string]bool{}
	for _, m := range msgs[1:] {
		switch m.Role {
		case "tool":
			id := pyStr(m.ToolCallID, m.HasID)
			if observed[id] {
				return reject(excStructure, "Duplicate tool call id %s in tool results", id)
			}
			if !expected[id] {
				return reject(excStructure, "Unexpected tool call id %s in tool results", id)
			}
			observed[id] = true
		case "assistant":
			if len(expected) != len(observed) {
				return reject(excStructure, "Not the same number of function calls and responses")
			}
			clear(expected)
			clear(observed)
			for _, c := range m.ToolCalls {
				if expected[c.ID] {
					return reject(excStructure, "Duplicate tool call id %s in assistant message", c.ID)
				}
				expected[c.ID] = true
			}
		}
	}
	return nil
}

// pyStr is how Python formats an optional string.
func pyStr(s string, ok bool) string {
	if !ok {
		return "None"
	}
	return s
}

func validateMessage(m Message, last bool, v Version) error {
	switch m.Role {
	case "user":
		return checkChunks(m.Content, "user", excUser, false)
	case "system":
		if m.Content.Null {
			return reject(excSystem, "System prompt must have content")
		}
		return checkChunks(m.Content, "system", excSystem, v.N >= 7 && v.N < 15)
	case "tool":
		return validateTool(m, v)
	}
	return validateAssistant(m, last, v)
}

// checkChunks rejects chunk types a role does not take: only text and,
// where thinking is allowed, thinking chunks reach here.
func checkChunks(c Content, role, exception string, thinking bool) error {
	if !c.List || thinking {
		return nil
	}
	for _, ch := range c.Chunks {
		if ch.Type == "thinking" {
			return reject(exception, "Unexpected content chunk types in %s message: ['ThinkChunk']", role)
		}
	}
	return nil
}

func validateTool(m Message, v Version) error {
	if m.Name != "" && !functionName.MatchString(m.Name) {
		return reject(excTool, badFunctionName, m.Name)
	}
	if v.N < 3 {
		return nil
	}
	if !m.HasID {
		return reject(excRequest, "Tool call id has to be defined.")
	}
	if !toolCallID.MatchString(m.ToolCallID) {
		return reject(excTool, "Tool call id was %s but must be a-z, A-Z, 0-9, with a length of 9.", m.ToolCallID)
	}
	return nil
}

func validateAssistant(m Message, last bool, v Version) error {
	if err := checkChunks(m.Content, "assistant", excAssistant, v.N >= 11); err != nil {
		return err
	}
	if v.N < 7 && !m.Content.empty() == (len(m.ToolCalls) > 0) {
		return reject(excAssistant, "Assistant message must have either content or tool_calls, but not both.")
	}
	for _, c := range m.ToolCalls {
		if v.N >= 3 && c.ID != "null" && !toolCallID.MatchString(c.ID) {
			return reject(excCall, "Tool call id was %s but must be a-z, A-Z, 0-9, with a length of 9.", c.ID)
		}
		if !functionName.MatchString(c.Name) {
			return reject(excCall, badFunctionName, c.Name)
		}
	}
	if m.Prefix && !last {
		return reject(excAssistant, "Assistant message with prefix True must be last message")
	}
	return nil
}
