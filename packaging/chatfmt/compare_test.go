package chatfmt_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
)

func fixtureTemplate(t testing.TB, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(fixtures(t, "chat_templates"), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// breakTemplate replaces old (which must occur) in a fixture template.
func breakTemplate(t *testing.T, name, old, repl string) string {
	t.Helper()
	src := fixtureTemplate(t, name)
	if !strings.Contains(src, old) {
		t.Fatalf("%s has no %q", name, old)
	}
	return strings.ReplaceAll(src, old, repl)
}

func mustVersion(t *testing.T, s string) chatfmt.Version {
	t.Helper()
	v, err := chatfmt.ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCompareExtraSuffix: a template that appends text after the
// conversation fails at the byte where the canonical text ends.
func TestCompareExtraSuffix(t *testing.T) {
	v := mustVersion(t, "v7")
	src := fixtureTemplate(t, "v7.jinja") + "{{ '[EXTRA]' }}"
	d, err := chatfmt.Compare(render, src, v)
	if err != nil {
		t.Fatal(err)
	}
	if d == nil {
		t.Fatal("no difference found")
	}
	first := chatfmt.Suite(v)[0]
	want, err := chatfmt.Render([]byte(first.JSON), v)
	if err != nil {
		t.Fatal(err)
	}
	if d.Case != first.Name || d.Offset != len(want) || !strings.HasSuffix(d.Got, "[EXTRA]") || !strings.HasSuffix(want, d.Want) {
		t.Errorf("difference %+v, want case %q at byte %d", d, first.Name, len(want))
	}
	if s := d.String(); !strings.Contains(s, fmt.Sprintf("byte %d", len(want))) || !strings.Contains(s, "[EXTRA]") {
		t.Errorf("message %q shows neither the offset nor the text", s)
	}
}

// TestCompareCatchesBrokenTemplates: each deliberate break of a fixture
// template is found, in the conversation that shows it.
func TestCompareCatchesBrokenTemplates(t *testing.T) {
	for _, tc := range []struct {
		name, template, version, old, repl, conv, got string
	}{
		{"system prompt in the first user message", "v3.jinja", "v3",
			"(ns.index == ns.max_idx_user) and system_message != ''", "ns.index == 0 and system_message != ''",
			"chat", "You are a support assistant"},
		{"tool call ids dropped", "v3.jinja", "v3",
			`', "id": "' + id + '"}'`, `'}'`, "tool_call", `"celsius"}}]`},
		{"tool call ids dropped (v11)", "v11.jinja", "v11",
			`name + '[CALL_ID]' + id + '[ARGS]'`, `name + '[ARGS]'`, "tool_call", "get_weather[ARGS]"},
		{"no space after [INST]", "v7_spm.jinja", "v7_spm", `'[INST] '`, `'[INST]'`, "chat", "[INST]My invoice"},
		{"no space after [INST] (v1)", "v1_spm.jinja", "v1_spm", `' [INST] '`, `' [INST]'`, "chat", "[INST]You are"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := breakTemplate(t, tc.template, tc.old, tc.repl)
			d, err := chatfmt.Compare(render, src, mustVersion(t, tc.version))
			if err != nil {
				t.Fatal(err)
			}
			if d == nil {
				t.Fatal("the broken template passes")
			}
			if d.Case != tc.conv || d.Offset <= 0 || !strings.Contains(d.Got, tc.got) || d.Want == d.Got {
				t.Errorf("difference %s; want conversation %q with %q in the template's text", d, tc.conv, tc.got)
			}
		})
	}
}

// TestCompareTemplateFailure: a template that raises on a conversation of
// the suite is a difference with the template's error.
func TestCompareTemplateFailure(t *testing.T) {
	src := breakTemplate(t, "v7.jinja", "{%- elif message['role'] == 'tool' %}",
		"{%- elif message['role'] == 'tool' %}{{ raise_exception('no tools here') }}")
	diffs, err := chatfmt.Diff(render, src, mustVersion(t, "v7"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range diffs {
		if d.Offset != -1 || d.Err == nil || !strings.Contains(d.Err.Error(), "no tools here") {
			t.Errorf("difference %s: want the template's error", d)
		}
		names = append(names, d.Case)
	}
	if strings.Join(names, " ") != "tool_call tool_result_last parallel_calls tools_in_history" {
		t.Errorf("failing conversations %v", names)
	}
}

// TestCompareWrongVersion: a template checked against another version's
// format differs.
func TestCompareWrongVersion(t *testing.T) {
	for _, tc := range []struct{ template, version string }{
		{"v7.jinja", "v7_spm"}, {"v3.jinja", "v7"}, {"v11.jinja", "v13"}, {"v2.jinja", "v3"},
	} {
		d, err := chatfmt.Compare(render, fixtureTemplate(t, tc.template), mustVersion(t, tc.version))
		if err != nil || d == nil {
			t.Errorf("%s against %s: difference %v, err %v", tc.template, tc.version, d, err)
		}
	}
}

func TestCompareRendererError(t *testing.T) {
	boom := errors.New("boom")
	d, err := chatfmt.Compare(func(string, []byte) (string, error) { return "", boom }, "", mustVersion(t, "v3"))
	if err != nil || d == nil || !errors.Is(d.Err, boom) || d.Offset != -1 {
		t.Fatalf("difference %v, err %v", d, err)
	}
}

// TestDiffReference: a deliberately different template passes against
// itself as reference and fails against the fixture it departs from.
func TestDiffReference(t *testing.T) {
	v := mustVersion(t, "v7")
	own := fixtureTemplate(t, "v7.jinja") + "{{ '[EXTRA]' }}"
	if diffs, err := chatfmt.DiffReference(render, own, own, v); err != nil || len(diffs) != 0 {
		t.Errorf("against itself: %v, %v", diffs, err)
	}
	diffs, err := chatfmt.DiffReference(render, own, fixtureTemplate(t, "v7.jinja"), v)
	if err != nil || len(diffs) != len(chatfmt.Suite(v))-1 {
		t.Errorf("against the fixture: %d differences, %v", len(diffs), err)
	}
	if _, err := chatfmt.DiffReference(render, own, "{{ raise_exception('no') }}", v); err == nil {
		t.Error("a reference that cannot render: no error")
	}
}

// TestApplyContinueChunks: continue_final_message cuts after the last text
// chunk of the final message, and fails when the text lacks it.
func TestApplyContinueChunks(t *testing.T) {
	conv := []byte(`{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": [{"type": "text", "text": "Once upon "}]}], "continue_final_message": true}`)
	got, err := chatfmt.Apply(func(string, []byte) (string, error) { return "<s>[INST]a[/INST]Once upon</s>", nil }, "", conv)
	if err != nil || got != "<s>[INST]a[/INST]Once upon" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := chatfmt.Apply(func(string, []byte) (string, error) { return "<s>", nil }, "", conv); err == nil {
		t.Error("final message missing from the text: no error")
	}
}
