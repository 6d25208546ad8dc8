package chatfmt_test

import (
	"errors"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
)

// TestRejects: what mistral-common refuses is refused with its reason.
func TestRejects(t *testing.T) {
	const call = `{"role": "assistant", "tool_calls": [{"id": "abcdefghi", "function": {"name": "f", "arguments": "{}"}}]}`
	for _, tc := range []struct{ name, version, conv, reason string }{
		{"empty", "v3", `{"messages": []}`, "Conversation must have at least one message"},
		{"lone assistant", "v3", `{"messages": [{"role": "assistant", "content": "hi"}]}`,
			"Conversation must start with a user message or system message"},
		{"ends with assistant", "v7", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}`,
			"Expected last role User or Tool (or Assistant with prefix or continue_final_message set to True) for serving but got assistant"},
		{"continue after user", "v7", `{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], "continue_final_message": true}`,
			"Expected last role Assistant with prefix False for serving with continue_final_message set to True but got user"},
		{"tool after user", "v3", `{"messages": [{"role": "user", "content": "a"}, {"role": "tool", "tool_call_id": "abcdefghi", "content": "x"}]}`,
			"Unexpected role 'tool' after role 'user'"},
		{"system after assistant", "v7", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "system", "content": "c"}, {"role": "user", "content": "d"}]}`,
			"Unexpected role 'system' after role 'assistant'"},
		{"unanswered call", "v3", `{"messages": [{"role": "user", "content": "a"}, ` + call + `, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]}`,
			"Not the same number of function calls and responses"},
		{"content and calls before v7", "v3", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "tool_calls": [{"id": "abcdefghi", "function": {"name": "f", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "abcdefghi", "content": "x"}]}`,
			"Assistant message must have either content or tool_calls, but not both."},
		{"short call id", "v3", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [{"id": "abc", "function": {"name": "f", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "abc", "content": "x"}]}`,
			"Tool call id was abc but must be a-z, A-Z, 0-9, with a length of 9."},
		{"tool without id", "v7", `{"messages": [{"role": "user", "content": "a"}, ` + call + `, {"role": "tool", "content": "x"}]}`,
			"Tool call id has to be defined."},
		{"unexpected result id", "v11", `{"messages": [{"role": "user", "content": "a"}, ` + call + `, {"role": "tool", "tool_call_id": "zzzzzzzzz", "content": "x"}]}`,
			"Unexpected tool call id zzzzzzzzz in tool results"},
		{"duplicate result", "v13", `{"messages": [{"role": "user", "content": "a"}, ` + call + `, {"role": "tool", "tool_call_id": "abcdefghi", "content": "x"}, {"role": "tool", "tool_call_id": "abcdefghi", "content": "y"}]}`,
			"Duplicate tool call id abcdefghi in tool results"},
		{"bad function name", "v2", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [{"function": {"name": "no spaces", "arguments": "{}"}}]}, {"role": "tool", "content": "x"}]}`,
			"Function name was no spaces but must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64."},
		{"tools in v1", "v1", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}, {"role": "tool", "content": "x"}]}`,
			"Tools not implemented for tokenizer V1"},
		{"prefix not last", "v7", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "prefix": true}, {"role": "user", "content": "c"}]}`,
			"Assistant message with prefix True must be last message"},
		{"think before v11", "v7", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": [{"type": "thinking", "thinking": "t"}], "prefix": true}]}`,
			"Unexpected content chunk types in assistant message: ['ThinkChunk']"},
		{"think in v11", "v11", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": [{"type": "thinking", "thinking": "t"}], "prefix": true}]}`,
			"Think not implemented for tokenizer < V13."},
		{"think without think tokens", "v13", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": [{"type": "thinking", "thinking": "t"}], "prefix": true}]}`,
			"think tokens are not available for this tokenizer."},
		{"think in a v15 system prompt", "v15_think", `{"messages": [{"role": "system", "content": [{"type": "thinking", "thinking": "t"}]}, {"role": "user", "content": "a"}]}`,
			"Unexpected content chunk types in system message: ['ThinkChunk']"},
		{"think in a user message", "v13_think", `{"messages": [{"role": "user", "content": [{"type": "thinking", "thinking": "t"}]}]}`,
			"Unexpected content chunk types in user message: ['ThinkChunk']"},
		{"reasoning effort before v15", "v13", `{"messages": [{"role": "user", "content": "a"}], "reasoning_effort": "high"}`,
			`reasoning_effort="high" is not supported for this model`},
		{"empty assistant v7", "v7", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "", "prefix": true}]}`,
			"Invalid assistant message: it has neither content nor tool_calls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := chatfmt.Render([]byte(tc.conv), mustVersion(t, tc.version))
			var rej *chatfmt.RejectError
			if !errors.As(err, &rej) || rej.Reason != tc.reason {
				t.Fatalf("got %v, want rejection %q", err, tc.reason)
			}
		})
	}
}

// TestCanonicalText pins the behaviours the suite cannot show through a
// template: mistral-common only fields, v2's dropped history, v13's order.
func TestCanonicalText(t *testing.T) {
	for _, tc := range []struct{ name, version, conv, want string }{
		{"prefix keeps the final assistant open", "v7", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b  ", "prefix": true}]}`,
			"<s>[INST]a[/INST]b"},
		{"v2 drops calls and results before the last user message", "v2",
			`{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{\"x\":1}"}}]}, {"role": "tool", "name": "f", "content": "{\"y\":2.50}"}, {"role": "user", "content": "b"}, {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1e20}}}]}, {"role": "tool", "name": "f", "content": ""}]}`,
			`<s>[INST]a[/INST][INST]b[/INST][TOOL_CALLS][{"name": "f", "arguments": {"x": 1e+20}}]</s>[TOOL_RESULTS][{"name": "f", "content": {}}][/TOOL_RESULTS]`},
		{"v3 parses JSON tool results", "v3_spm",
			`{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [{"id": "abcdefghi", "function": {"name": "f", "arguments": "{\"s\":\"é\\u0001\"}"}}]}, {"role": "tool", "tool_call_id": "abcdefghi", "content": "[1, 2.0, \"x\"]"}]}`,
			`<s>[INST] a[/INST][TOOL_CALLS] [{"name": "f", "arguments": {"s": "é\u0001"}, "id": "abcdefghi"}]</s>[TOOL_RESULTS] {"content": [1, 2.0, "x"], "call_id": "abcdefghi"}[/TOOL_RESULTS]`},
		{"v1-v3 start with an empty user message", "v3", `{"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "a"}]}`,
			"<s>[INST][/INST]hi</s>[INST]a[/INST]"},
		{"a system message between users splits them", "v3", `{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "s"}, {"role": "user", "content": "b"}]}`,
			"<s>[INST]a[/INST][INST]s\n\nb[/INST]"},
		{"v13 orders results as the calls", "v13",
			`{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [{"id": "aaaaaaaaa", "function": {"name": "f", "arguments": "{}"}}, {"id": "bbbbbbbbb", "function": {"name": "g", "arguments": ""}}]}, {"role": "tool", "tool_call_id": "bbbbbbbbb", "content": "B"}, {"role": "tool", "tool_call_id": "aaaaaaaaa", "content": "A"}]}`,
			"<s>[INST]a[/INST][TOOL_CALLS]f[ARGS]{}[TOOL_CALLS]g[ARGS]{}</s>[TOOL_RESULTS]A[/TOOL_RESULTS][TOOL_RESULTS]B[/TOOL_RESULTS]"},
		{"an unclosed think chunk", "v13_think", `{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "closed": false}], "prefix": true}]}`,
			"<s>[INST]a[/INST][THINK]hmm"},
		{"v15 model settings", "v15", `{"messages": [{"role": "user", "content": "a"}], "reasoning_effort": "high"}`,
			`<s>[MODEL_SETTINGS]{"reasoning_effort": "high"}[/MODEL_SETTINGS][INST]a[/INST]`},
		{"v15 joins text chunks without a separator", "v15", `{"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}, {"role": "user", "content": "c"}]}`,
			`<s>[MODEL_SETTINGS]{"reasoning_effort": "none"}[/MODEL_SETTINGS][INST]ab` + "\n\n" + `c[/INST]`},
		{"v1 puts the system prompt in the first user message", "v1", `{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "a"}, {"role": "assistant", "content": "b "}, {"role": "user", "content": "c"}]}`,
			"<s>[INST] s\n\na [/INST]b </s>[INST] c [/INST]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chatfmt.Render([]byte(tc.conv), mustVersion(t, tc.version))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	for _, conv := range []string{`[]`, `{"messages": {}}`, `{"messages": [{"role": "robot", "content": "x"}]}`,
		`{"messages": [{"role": "user"}]}`, `{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}`,
		`{"messages": [{"role": "assistant", "tool_calls": [{"id": "x"}]}]}`, `{"messages": [], "tools": [{"type": "function"}]}`, `{`} {
		if _, err := chatfmt.ParseRequest([]byte(conv)); err == nil {
			t.Errorf("%s: no error", conv)
		}
	}
}
