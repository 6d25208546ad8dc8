package chatdata

import "fmt"

// Issue codes.
const (
	CodeInvalidJSON      = "chat.invalid_json"
	CodeNoMessages       = "chat.no_messages"
	CodeBadMessage       = "chat.bad_message"
	CodeBadRole          = "chat.bad_role"
	CodeEmptyContent     = "chat.empty_content"
	CodeLastNotAssistant = "chat.last_not_assistant"
	CodeBadToolCall      = "chat.bad_tool_call"
	CodeUnknownToolCall  = "chat.unknown_tool_call_id"
	CodeBadTools         = "chat.bad_tools"
	CodeSplitOverlap     = "chat.split_overlap"
	CodeEmptySplit       = "chat.empty_split"
	CodeDuplicate        = "chat.duplicate"
)

// Severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Issue is one problem in a data file. Line is 1-based (0: the whole file).
type Issue struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

func (i Issue) String() string {
	if i.Line == 0 {
		return fmt.Sprintf("%s: %s %s: %s", i.File, i.Severity, i.Code, i.Message)
	}
	return fmt.Sprintf("%s:%d: %s %s: %s", i.File, i.Line, i.Severity, i.Code, i.Message)
}

// problem is an issue found in one sample, before it is placed in a file.
type problem struct {
	code, severity, msg string
}

func errorf(code, format string, a ...any) problem {
	return problem{code: code, severity: SeverityError, msg: fmt.Sprintf(format, a...)}
}
