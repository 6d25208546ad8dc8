package chatfmt_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
)

// TestSuiteMatchesJinja2: Python's Jinja2 and ckpt's renderer give the same
// text (or raise the same message) for every fixture template and every
// conversation of the suite, whatever version the conversation is for.
func TestSuiteMatchesJinja2(t *testing.T) {
	templates := fixtureTemplates(t)
	vars := compat.DefaultVars()
	suite := chatfmt.Suite(chatfmt.Version{N: 15, Think: true})
	var jobs []testenv.JinjaJob
	var names []string
	for _, path := range sortedKeys(templates) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range suite {
			jobs = append(jobs, testenv.JinjaJob{Template: string(src), Conversation: json.RawMessage(c.JSON),
				Vars: map[string]any{"bos_token": vars.BOS, "eos_token": vars.EOS, "unk_token": vars.UNK, "add_generation_prompt": false}})
			names = append(names, filepath.Base(path)+" × "+c.Name)
		}
	}
	want := testenv.Jinja2(t, filepath.Join("..", "compat", "testdata", "render_jinja2.py"), jobs)
	same, refused := 0, 0
	for i, j := range jobs {
		got, err := compat.RenderTemplate(j.Template, j.Conversation, vars)
		w := want[i]
		var raised *compat.RaisedError
		switch {
		case w.Error != nil:
			t.Errorf("%s: Jinja2 failed: %s", names[i], *w.Error)
		case w.Raised != nil:
			if !errors.As(err, &raised) || raised.Message != *w.Raised {
				t.Errorf("%s: Jinja2 raised %q, ckpt: %v", names[i], *w.Raised, err)
			}
			refused++
		case err != nil:
			t.Errorf("%s: ckpt failed: %v", names[i], err)
		case got != *w.Text:
			t.Errorf("%s: texts differ\nckpt:   %q\njinja2: %q", names[i], got, *w.Text)
		default:
			same++
		}
	}
	t.Logf("%d pairs identical, %d refused by both", same, refused)
	if same < len(jobs)*3/4 {
		t.Errorf("only %d of %d pairs rendered", same, len(jobs))
	}
}
