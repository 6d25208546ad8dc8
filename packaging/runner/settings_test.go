package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeOllama answers the Ollama API calls the runner makes and appends
// every /api/create and /api/generate body to the file log.
func fakeOllama(log string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/api/create", "/api/generate":
			f, _ := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			fmt.Fprintf(f, "%s\n", body)
			f.Close()
			fmt.Fprint(w, `{"response":"{}","prompt_eval_count":3,"eval_count":1,"done_reason":"stop"}`)
		case "/api/tags":
			fmt.Fprint(w, `{"models":[{"name":"m","digest":"00"}]}`)
		default:
			fmt.Fprint(w, `{}`)
		}
	})
}

// settingsSent checks that every setting s records was sent (under its
// name in rename, when the runtime calls it otherwise) with that value, and
// that no sampler was sent that s does not record.
func settingsSent(t *testing.T, s Settings, sent map[string]any, rename map[string]string) {
	t.Helper()
	var rec map[string]any
	b, _ := json.Marshal(s)
	json.Unmarshal(b, &rec)
	for k, v := range rec {
		name := k
		if n, ok := rename[k]; ok {
			name = n
		}
		if got, ok := sent[name]; !ok || !reflect.DeepEqual(got, v) {
			t.Errorf("recorded %s = %v, sent %s = %v", k, v, name, got)
		}
		delete(sent, name)
	}
	for _, k := range []string{"top_k", "top_p", "repeat_penalty", "repetition_penalty", "min_p", "temperature", "seed", "stop"} {
		if v, ok := sent[k]; ok {
			t.Errorf("sent %s = %v, not recorded in Settings", k, v)
		}
	}
}

// TestSettingsAreWhatIsSent: every generation setting the report records is
// the value sent to the runtime, and nothing sent is left out.
func TestSettingsAreWhatIsSent(t *testing.T) {
	self, _ := os.Executable()
	log := filepath.Join(t.TempDir(), "requests.jsonl")
	t.Setenv("CKPT_FAKE_OLLAMA_LOG", log)
	gguf := filepath.Join(t.TempDir(), "m.gguf")
	os.WriteFile(gguf, []byte("GGUF"), 0o644)
	r, err := NewOllama(t.Context(), OllamaOptions{Binary: self, GGUF: gguf, Dir: t.TempDir(), Settings: Settings{MaxTokens: 7, Stop: []string{"</s>"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Generate(t.Context(), Request{ID: "a", Prompt: "hi"}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	b, _ := os.ReadFile(log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var create struct{ Parameters map[string]any }
	var gen struct{ Options map[string]any }
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &create) != nil || json.Unmarshal([]byte(lines[1]), &gen) != nil {
		t.Fatalf("requests:\n%s", b)
	}
	s := r.Info().Settings
	if *s.TopK != 1 || *s.RepeatPenalty != 1 || *s.TopP != 1 || s.MaxTokens != 7 {
		t.Errorf("ollama settings %+v: want greedy samplers", s)
	}
	for k, v := range create.Parameters {
		if gen.Options[k] != v {
			t.Errorf("model parameter %s = %v, request option %v", k, v, gen.Options[k])
		}
	}
	settingsSent(t, s, gen.Options, map[string]string{"max_tokens": "num_predict"})

	f := &fakeOpenAI{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	o, err := NewOpenAI(t.Context(), OpenAIOptions{Endpoint: srv.URL, Settings: Settings{Seed: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Generate(t.Context(), Request{ID: "a", Prompt: "hi"}); err != nil {
		t.Fatal(err)
	}
	var sent map[string]any
	json.Unmarshal([]byte(f.lastBody.Load().(string)), &sent)
	if s := o.Info().Settings; s.TopK != nil || s.RepeatPenalty != nil || s.Seed != 3 {
		t.Errorf("openai settings %+v: top_k and repeat_penalty are not standard, so not sent", s)
	}
	settingsSent(t, o.Info().Settings, sent, nil)
}
