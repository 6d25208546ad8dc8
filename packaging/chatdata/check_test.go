package chatdata

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	cleanSimple = `{"messages":[{"role":"user","content":"How do I reset my password?"},{"role":"assistant","content":"Open Settings, then Security, then Reset."}]}`
	cleanTools  = `{"tools":[{"type":"function","function":{"name":"lookup_order","description":"Find an order","parameters":{"type":"object","properties":{"id":{"type":"string"}}}}}],` +
		`"messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is order 42?"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"abc123XYZ","type":"function","function":{"name":"lookup_order","arguments":"{\"id\":\"42\"}"}}]},` +
		`{"role":"tool","tool_call_id":"abc123XYZ","name":"lookup_order","content":"shipped"},{"role":"assistant","content":"Order 42 has shipped."}]}`
)

func writeFile(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func check(t *testing.T, splits ...Split) *Report {
	t.Helper()
	r, err := Check(context.Background(), splits, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckClean(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "train.jsonl", cleanSimple, "", cleanTools)
	r := check(t, Split{Name: "train", Path: p})
	if !r.OK() || r.Warnings != 0 || len(r.Issues) != 0 {
		t.Fatalf("issues: %v", r.Issues)
	}
	st := r.Files[0]
	if st.Samples != 2 || st.Valid != 2 || st.ToolCalls != 1 || st.Messages["assistant"] != 3 || st.Messages["tool"] != 1 || st.Messages["system"] != 1 {
		t.Fatalf("stats %+v", st)
	}
	if st.Tokens.Min <= 0 || st.Tokens.Max < st.Tokens.Min || st.Tokens.P50 != st.Tokens.Min || st.Tokens.P95 != st.Tokens.Max || st.AssistantTokens <= 0 {
		t.Errorf("tokens %+v, assistant %d", st.Tokens, st.AssistantTokens)
	}
	if !strings.HasPrefix(st.Digest, "sha256:") || st.File != "train.jsonl" || st.Split != "train" {
		t.Errorf("file %+v", st)
	}
}

func TestCheckDefects(t *testing.T) {
	tests := []struct {
		name, line, code string
	}{
		{"not json", `{"messages": [`, CodeInvalidJSON},
		{"array line", `[1,2]`, CodeInvalidJSON},
		{"null line", `null`, CodeInvalidJSON},
		{"no messages", `{"conversation":[]}`, CodeNoMessages},
		{"empty messages", `{"messages":[]}`, CodeNoMessages},
		{"message not object", `{"messages":["hi",{"role":"assistant","content":"x"}]}`, CodeBadMessage},
		{"bad role", `{"messages":[{"role":"bot","content":"hi"},{"role":"assistant","content":"x"}]}`, CodeBadRole},
		{"missing role", `{"messages":[{"content":"hi"},{"role":"assistant","content":"x"}]}`, CodeBadRole},
		{"empty content", `{"messages":[{"role":"user","content":""},{"role":"assistant","content":"x"}]}`, CodeEmptyContent},
		{"blank content", `{"messages":[{"role":"user","content":"  \n"},{"role":"assistant","content":"x"}]}`, CodeEmptyContent},
		{"null content", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null}]}`, CodeEmptyContent},
		{"content of wrong type", `{"messages":[{"role":"user","content":5},{"role":"assistant","content":"x"}]}`, CodeBadMessage},
		{"ends with user", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"},{"role":"user","content":"thanks"}]}`, CodeLastNotAssistant},
		{"tool call without id", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}]}`, CodeBadToolCall},
		{"tool call without name", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"a","function":{"arguments":"{}"}}]}]}`, CodeBadToolCall},
		{"arguments not json", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{city: Paris"}}]}]}`, CodeBadToolCall},
		{"arguments as object", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":{"x":1}}}]}]}`, CodeBadToolCall},
		{"empty tool_calls", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[]}]}`, CodeBadToolCall},
		{"tool answers unknown id", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"b","content":"r"},{"role":"assistant","content":"x"}]}`, CodeUnknownToolCall},
		{"tool answers before the call", `{"messages":[{"role":"user","content":"q"},{"role":"tool","tool_call_id":"a","content":"r"},{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{}"}}]}]}`, CodeUnknownToolCall},
		{"tool without call id", `{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","content":"r"},{"role":"assistant","content":"x"}]}`, CodeUnknownToolCall},
		{"tool without parameters", `{"tools":[{"function":{"name":"f","description":"d"}}],"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"x"}]}`, CodeBadTools},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "data.jsonl", cleanSimple, tt.line)
			r := check(t, Split{Name: "train", Path: p})
			if r.OK() || len(r.Issues) == 0 {
				t.Fatal("no error")
			}
			i := r.Issues[0]
			if i.Code != tt.code || i.Line != 2 || i.File != "data.jsonl" || i.Severity != SeverityError {
				t.Fatalf("issues %v, want %s at line 2", r.Issues, tt.code)
			}
			if r.Files[0].Valid != 1 || r.Files[0].Samples != 2 {
				t.Errorf("stats %+v", r.Files[0])
			}
		})
	}
}

func TestCheckSplits(t *testing.T) {
	dir := t.TempDir()
	reordered := `{"messages":[{"content":"How do I reset my password?","role":"user"},  {"content":"Open Settings, then Security, then Reset.","role":"assistant"}]}`
	train := writeFile(t, dir, "train.jsonl", cleanSimple, cleanTools, cleanTools)
	val := writeFile(t, dir, "validation.jsonl", `{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}`, reordered)
	empty := writeFile(t, dir, "test.jsonl")
	r := check(t, Split{Name: "train", Path: train}, Split{Name: "validation", Path: val}, Split{Name: "test", Path: empty})
	var got []string
	for _, i := range r.Issues {
		got = append(got, fmt.Sprintf("%s:%d:%s", i.File, i.Line, i.Code))
	}
	want := "train.jsonl:3:chat.duplicate validation.jsonl:2:chat.split_overlap test.jsonl:0:chat.empty_split"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %s\nwant %s", strings.Join(got, " "), want)
	}
	if r.Errors != 2 || r.Warnings != 1 || r.Files[1].Valid != 1 {
		t.Errorf("errors %d warnings %d, validation %+v", r.Errors, r.Warnings, r.Files[1])
	}
	if !strings.Contains(r.Issues[1].Message, "train.jsonl:1") {
		t.Errorf("overlap message %q", r.Issues[1].Message)
	}
}

func TestCheckMissingFile(t *testing.T) {
	_, err := Check(context.Background(), []Split{{Name: "validation", Path: "/nonexistent/val.jsonl"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/val.jsonl") || !strings.Contains(err.Error(), "validation") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckMaxIssues(t *testing.T) {
	lines := make([]string, 50)
	for i := range lines {
		lines[i] = "oops"
	}
	p := writeFile(t, t.TempDir(), "bad.jsonl", lines...)
	r, err := Check(context.Background(), []Split{{Name: "train", Path: p}}, Options{MaxIssues: 10})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors != 50 || len(r.Issues) != 10 {
		t.Fatalf("errors %d listed %d", r.Errors, len(r.Issues))
	}
}

// TestFixtureSamples checks the real conversations mistral-common ships.
// They are inference prompts: most end with a user or tool message, which
// is an error for training data; cut after their last assistant message,
// as one turns a transcript into a training sample, they must be clean.
func TestFixtureSamples(t *testing.T) {
	dirs, err := filepath.Glob("../../../shared/fixtures/mistral-common/samples/*/sample.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixture samples (%v)", err)
	}
	sort.Strings(dirs)
	dir := t.TempDir()
	var whole, cut []string
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]json.RawMessage
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		var msgs []map[string]any
		if err := json.Unmarshal(s["messages"], &msgs); err != nil {
			t.Fatal(err)
		}
		whole = append(whole, compact(t, s))
		last := len(msgs) - 1
		for msgs[last]["role"] != "assistant" {
			last--
		}
		mb, _ := json.Marshal(msgs[:last+1])
		s["messages"] = mb
		cut = append(cut, compact(t, s))
	}
	r := check(t, Split{Name: "train", Path: writeFile(t, dir, "cut.jsonl", cut...)})
	if !r.OK() || r.Files[0].Valid != len(dirs) || r.Files[0].ToolCalls == 0 {
		t.Fatalf("fixture samples cut after the last assistant message: %v %+v", r.Issues, r.Files[0])
	}
	r = check(t, Split{Name: "train", Path: writeFile(t, dir, "whole.jsonl", whole...)})
	for _, i := range r.Issues {
		if i.Code != CodeLastNotAssistant {
			t.Errorf("whole fixture sample: unexpected %s", i)
		}
	}
	if r.Errors != len(dirs) {
		t.Errorf("%d errors for %d prompts that end without an assistant turn", r.Errors, len(dirs))
	}
}

func compact(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApproxTokens(t *testing.T) {
	tests := map[string]int{
		"":                          0,
		"   ":                       0,
		"hello":                     2,
		"Hi there!":                 4,
		"internationalization":      5,
		`{"id":"42"}`:               9,
		"東京都":                       3,
		"naïve café":                3,
		"2024-05-22 is a Wednesday": 10,
	}
	for in, want := range tests {
		if got := ApproxTokens(in); got != want {
			t.Errorf("ApproxTokens(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzDataLine(f *testing.F) {
	f.Add([]byte(cleanSimple))
	f.Add([]byte(cleanTools))
	f.Add([]byte(`{"messages":[{"role":"tool","tool_call_id":"x","content":[{"type":"text","text":""}]}]}`))
	f.Add([]byte(`{"messages":null,"tools":[{"function":null}]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		info, probs := checkSample(line)
		for _, p := range probs {
			if p.code == "" || p.msg == "" || p.severity != SeverityError {
				t.Fatalf("bad problem %+v", p)
			}
		}
		if info.tokens < info.assistantTokens || info.tokens < 0 {
			t.Fatalf("tokens %d < assistant tokens %d", info.tokens, info.assistantTokens)
		}
	})
}
