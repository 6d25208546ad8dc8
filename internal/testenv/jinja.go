package testenv

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
)

// JinjaJob is one rendering for a Jinja2 reference script (compat's
// testdata/render_jinja2.py): a template, a conversation and extra vars.
type JinjaJob struct {
	Template     string          `json:"template"`
	Conversation json.RawMessage `json:"conversation"`
	Vars         map[string]any  `json:"vars"`
}

// JinjaResult is what the script answered for one job: the text, the
// message the template raised, or another error.
type JinjaResult struct {
	Text   *string `json:"text"`
	Raised *string `json:"raised"`
	Error  *string `json:"error"`
}

// Jinja2 renders jobs with the Python script at script (Jinja2 set up as
// transformers does), one result per job; it skips without Jinja2.
func Jinja2(t testing.TB, script string, jobs []JinjaJob) []JinjaResult {
	t.Helper()
	py := RequirePython(t, "jinja2")
	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), py, script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python reference %s: %v\n%s", script, err, stderr.String())
	}
	var res []JinjaResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(jobs) {
		t.Fatalf("python reference %s: %d results for %d jobs: %v", script, len(res), len(jobs), err)
	}
	return res
}
