package runner

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/plugins/plugintest"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// completions is an OpenAI-compatible endpoint answering every prompt with
// its length.
func completions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			fmt.Fprint(w, `{"data":[{"id":"tiny"}]}`)
			return
		}
		var body struct{ Prompt string }
		json.NewDecoder(r.Body).Decode(&body)
		json.NewEncoder(w).Encode(map[string]any{"choices": []map[string]any{{"text": fmt.Sprintf(`{"n":%d}`, len(body.Prompt))}}})
	})
}

// setup writes a target folder (the synthesized model's template) and two
// prompts under dir and returns a runner "openai" config for endpoint.
func setup(t *testing.T, dir, endpoint string) (json.RawMessage, []specv1.Input) {
	target := filepath.Join(dir, "target")
	os.MkdirAll(target, 0o755)
	os.WriteFile(filepath.Join(target, "chat_template.jinja"), []byte(synth.ChatTemplate), 0o644)
	prompts := filepath.Join(dir, "prompts.jsonl")
	os.WriteFile(prompts, []byte(`{"id":"a","messages":[{"role":"user","content":"hi"}]}
{"id":"b","messages":[{"role":"user","content":"a ticket please"}],"tags":["t"]}
`), 0o644)
	cfg, _ := json.Marshal(map[string]any{"target": "export.gguf", "prompts": prompts, "endpoint": endpoint, "max_tokens": 8})
	return cfg, []specv1.Input{{Step: "export.gguf", Attr: "target", Dir: target, Digest: "sha256:" + strings.Repeat("a", 64),
		Metadata: specv1.Metadata{Kind: "export", License: "Apache-2.0"}}}
}

func TestConformance(t *testing.T) {
	hs := httptest.NewServer(completions())
	defer hs.Close()
	p := &sdk.Plugin{Name: "runner", Version: "test", Components: Components()}
	plugintest.Run(t, p,
		plugintest.Case{Component: "runner.openai", Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			return setup(t, dir, hs.URL)
		}, Invalid: []json.RawMessage{[]byte(`{"target":"m.b","prompts":"/p"}`), []byte(`{"target":"m.b","prompts":"/p","endpoint":"x","api_key":"k"}`)}},
		plugintest.Case{Component: "runner.ollama", Invalid: []json.RawMessage{[]byte(`{"target":"m.b"}`),
			[]byte(`{"target":"m.b","prompts":"/p","template":"mine"}`), []byte(`{"target":"m.b","prompts":"/p","request_timeout":"soon"}`)}})
}

type events struct{ logs []string }

func (e *events) Log(m string)                  { e.logs = append(e.logs, m) }
func (e *events) Progress(int64, int64, string) {}
func (e *events) Diagnostic(specv1.Diagnostic)  {}

// TestRunWritesBoundPredictions: the artifact is the predictions, each
// carrying the target's digest and the runner, and the generation record.
func TestRunWritesBoundPredictions(t *testing.T) {
	hs := httptest.NewServer(completions())
	defer hs.Close()
	cfg, ins := setup(t, t.TempDir(), hs.URL)
	out := t.TempDir()
	md, err := Components()[1].Run(t.Context(), &specv1.RunRequest{Kind: "runner", Type: "openai", Step: "runner.local",
		Config: cfg, Inputs: ins, OutputDir: out, ScratchDir: t.TempDir()}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := jsoneval.ReadGeneration(out)
	if err != nil {
		t.Fatal(err)
	}
	if g.Target != ins[0].Digest || g.Runner.Kind != "openai" || g.Template != jsoneval.TemplateRendered || g.Runner.Settings.MaxTokens != 8 {
		t.Errorf("generation %+v", g)
	}
	if md.Kind != specv1.KindRunner || md.License != "Apache-2.0" || md.Outputs[OutputPromptsDigest] != g.PromptsDigest || md.Outputs[OutputBound] != "false" {
		t.Errorf("metadata %+v", md)
	}
	b, _ := os.ReadFile(filepath.Join(out, jsoneval.PredictionsFile))
	rows := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(rows) != 2 || !strings.Contains(rows[1], `"target_digest":"`+ins[0].Digest) || !strings.Contains(rows[1], `"kind":"openai"`) ||
		!strings.Contains(rows[1], `"output":"{\"n\":`) {
		t.Errorf("predictions:\n%s", b)
	}
}

func TestValidatePaths(t *testing.T) {
	c := Components()[0]
	ds := c.Validate(t.Context(), &specv1.ValidateRequest{Config: []byte(`{"target":"m.b","prompts":"/p","concurrency":-1,"start_timeout":"x"}`)})
	var paths []string
	for _, d := range ds {
		paths = append(paths, strings.Join(d.Path, "."))
	}
	if strings.Join(paths, " ") != "start_timeout concurrency" {
		t.Errorf("diagnostic paths %q", paths)
	}
}
