package chatfmt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
)

type job struct {
	Template     string          `json:"template"`
	Conversation json.RawMessage `json:"conversation"`
	Vars         map[string]any  `json:"vars"`
}

type result struct {
	Text   *string `json:"text"`
	Raised *string `json:"raised"`
	Error  *string `json:"error"`
}

// jinja2 renders the jobs with Python's Jinja2 set up as transformers does.
func jinja2(t *testing.T, jobs []job) []result {
	t.Helper()
	py := testenv.RequirePython(t, "jinja2")
	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("..", "compat", "testdata", "render_jinja2.py"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python reference: %v\n%s", err, stderr.String())
	}
	var res []result
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(jobs) {
		t.Fatalf("python reference: %d results for %d jobs: %v", len(res), len(jobs), err)
	}
	return res
}

// TestSuiteMatchesJinja2: Python's Jinja2 and ckpt's renderer give the same
// text (or raise the same message) for every fixture template and every
// conversation of the suite, whatever version the conversation is for.
func TestSuiteMatchesJinja2(t *testing.T) {
	templates := fixtureTemplates(t)
	vars := compat.DefaultVars()
	suite := chatfmt.Suite(chatfmt.Version{N: 15, Think: true})
	var jobs []job
	var names []string
	for _, path := range sortedKeys(templates) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range suite {
			jobs = append(jobs, job{Template: string(src), Conversation: json.RawMessage(c.JSON),
				Vars: map[string]any{"bos_token": vars.BOS, "eos_token": vars.EOS, "unk_token": vars.UNK, "add_generation_prompt": false}})
			names = append(names, filepath.Base(path)+" × "+c.Name)
		}
	}
	want := jinja2(t, jobs)
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
