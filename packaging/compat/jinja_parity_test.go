package compat_test

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/compat"
)

type parityCase struct{ template, conversation string }

// TestTemplatesMatchJinja2 renders every fixture chat template over every
// fixture sample and ckpt's own conversations with Python's Jinja2 and with
// ckpt's renderer, and requires identical text (or both refusing).
func TestTemplatesMatchJinja2(t *testing.T) {
	tmplDir := fixtures(t, "mistral-common", "chat_templates")
	templates, _ := filepath.Glob(filepath.Join(tmplDir, "*.jinja"))
	samples, _ := filepath.Glob(filepath.Join(fixtures(t, "mistral-common", "samples"), "*", "sample.json"))
	if len(templates) < 18 || len(samples) < 6 {
		t.Fatalf("found %d templates, %d samples", len(templates), len(samples))
	}
	sort.Strings(templates)
	convs := map[string][]byte{}
	for _, s := range samples {
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		convs[filepath.Base(filepath.Dir(s))] = data
	}
	for _, c := range compat.Conversations() {
		convs["ckpt:"+c.Name] = []byte(c.JSON)
	}
	vars := compat.DefaultVars()
	var jobs []testenv.JinjaJob
	var cases []parityCase
	for _, tp := range templates {
		src, err := os.ReadFile(tp)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range sortedNames(convs) {
			jobs = append(jobs, testenv.JinjaJob{Template: string(src), Conversation: convs[name],
				Vars: map[string]any{"bos_token": vars.BOS, "eos_token": vars.EOS, "unk_token": vars.UNK, "add_generation_prompt": false}})
			cases = append(cases, parityCase{filepath.Base(tp), name})
		}
	}
	want := testenv.Jinja2(t, filepath.Join("testdata", "render_jinja2.py"), jobs)
	rendered, refused := 0, 0
	for i, c := range cases {
		got, err := compat.RenderTemplate(jobs[i].Template, jobs[i].Conversation, vars)
		w := want[i]
		var raised *compat.RaisedError
		switch {
		case w.Error != nil:
			t.Errorf("%s × %s: Jinja2 failed: %s", c.template, c.conversation, *w.Error)
		case w.Raised != nil:
			if !errors.As(err, &raised) || raised.Message != *w.Raised {
				t.Errorf("%s × %s: Jinja2 raised %q, ckpt gave err=%v", c.template, c.conversation, *w.Raised, err)
			}
			refused++
		case err != nil:
			t.Errorf("%s × %s: ckpt failed: %v", c.template, c.conversation, err)
		case got != *w.Text:
			t.Errorf("%s × %s: texts differ\nckpt:   %q\njinja2: %q", c.template, c.conversation, got, *w.Text)
		default:
			rendered++
		}
	}
	t.Logf("%d pairs identical, %d refused by both", rendered, refused)
	if rendered < 100 {
		t.Errorf("only %d pairs rendered", rendered)
	}
}

func sortedNames(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestRealTemplatesPassRules: every real Mistral template renders ckpt's
// standard conversations; only v1 templates refuse tool calls (as their
// tokenizer has no tool tokens), which the rules report as a warning.
func TestRealTemplatesPassRules(t *testing.T) {
	templates, _ := filepath.Glob(filepath.Join(fixtures(t, "mistral-common", "chat_templates"), "*.jinja"))
	for _, tp := range templates {
		src, err := os.ReadFile(tp)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(tp)
		for _, c := range compat.Conversations() {
			_, err := compat.RenderTemplate(string(src), []byte(c.JSON), compat.DefaultVars())
			var raised *compat.RaisedError
			v1 := strings.HasPrefix(name, "v1.") || strings.HasPrefix(name, "v1_")
			switch {
			case err == nil && !(v1 && c.Name == "tool_call"):
			case errors.As(err, &raised) && v1 && c.Name == "tool_call":
			default:
				t.Errorf("%s × %s: %v", name, c.Name, err)
			}
		}
	}
}

func BenchmarkRenderTemplate(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(fixtures(b, "mistral-common", "chat_templates"), "v11.jinja"))
	if err != nil {
		b.Fatal(err)
	}
	conv := []byte(compat.Conversations()[1].JSON)
	for b.Loop() {
		if _, err := compat.RenderTemplate(string(src), conv, compat.DefaultVars()); err != nil {
			b.Fatal(err)
		}
	}
}
