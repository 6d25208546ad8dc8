package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeOpenAI is a small OpenAI-compatible server: /v1/models lists "tiny",
// /v1/completions answers "echo:" + the prompt after failing the first
// `fail` requests with 500; hang makes completions never answer.
type fakeOpenAI struct {
	fail, calls atomic.Int64
	hang        bool
	key         string
	lastBody    atomic.Value
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.key != "" && r.Header.Get("Authorization") != "Bearer "+f.key {
		http.Error(w, "bad key "+r.Header.Get("Authorization"), http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/v1/models":
		fmt.Fprint(w, `{"object":"list","data":[{"id":"tiny","object":"model"}]}`)
	case "/v1/completions", "/v1/chat/completions":
		f.complete(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeOpenAI) complete(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if f.hang {
		io.Copy(io.Discard, r.Body) // the server notices the client's close only after the body
		<-r.Context().Done()
		return
	}
	if f.fail.Add(-1) >= 0 {
		http.Error(w, "overloaded", http.StatusInternalServerError)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b, _ := json.Marshal(body)
	f.lastBody.Store(string(b))
	prompt, _ := body["prompt"].(string)
	json.NewEncoder(w).Encode(map[string]any{
		"choices": []map[string]any{{"text": "echo:" + prompt, "finish_reason": "stop", "message": map[string]any{"content": "chat"}}},
		"usage":   map[string]any{"prompt_tokens": len(strings.Fields(prompt)), "completion_tokens": 2}})
}

func TestOpenAIRetriesTransient(t *testing.T) {
	f := &fakeOpenAI{}
	f.fail.Store(2)
	srv := httptest.NewServer(f)
	defer srv.Close()
	r, err := NewOpenAI(t.Context(), OpenAIOptions{Endpoint: srv.URL, Settings: Settings{Stop: []string{"</s>"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := Run(t.Context(), r, []Request{{ID: "a", Prompt: "[INST] hi there [/INST]"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Text != "echo:[INST] hi there [/INST]" || got[0].PromptTokens != 4 {
		t.Errorf("response %+v", got[0])
	}
	if n := f.calls.Load(); n != 3 {
		t.Errorf("%d completion calls; want 3 (two 500s retried)", n)
	}
	info := r.Info()
	if info.Model != "tiny" || len(info.Served) != 1 || info.Bound {
		t.Errorf("info %+v: want model tiny from /v1/models, not bound", info)
	}
	var sent map[string]any
	json.Unmarshal([]byte(f.lastBody.Load().(string)), &sent)
	if sent["temperature"] != 0.0 || sent["seed"] != float64(DefaultSeed) || sent["max_tokens"] != float64(DefaultMaxTokens) {
		t.Errorf("sent settings %v", sent)
	}
	if stop, _ := sent["stop"].([]any); len(stop) != 1 || stop[0] != "</s>" {
		t.Errorf("stop %v", sent["stop"])
	}
}

func TestOpenAIGivesUpAfterRetries(t *testing.T) {
	f := &fakeOpenAI{}
	f.fail.Store(100)
	srv := httptest.NewServer(f)
	defer srv.Close()
	r, err := NewOpenAI(t.Context(), OpenAIOptions{Endpoint: srv.URL, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Generate(t.Context(), Request{ID: "p1", Prompt: "x"})
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/v1/completions: generate p1: HTTP 500") {
		t.Fatalf("err = %v", err)
	}
	if n := f.calls.Load(); n != 3 {
		t.Errorf("%d calls; want 3", n)
	}
}

func TestOpenAIRequestTimeout(t *testing.T) {
	f := &fakeOpenAI{hang: true}
	srv := httptest.NewServer(f)
	defer srv.Close()
	r, err := NewOpenAI(t.Context(), OpenAIOptions{Endpoint: srv.URL, RequestTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Run(t.Context(), r, []Request{{ID: "p1", Prompt: "x"}, {ID: "p2", Prompt: "y"}}, Options{Concurrency: 2})
	want := srv.URL + "/v1/completions: generate p"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "request timeout after 300ms") {
		t.Fatalf("err = %v; want %q and the timeout", err, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestOpenAIRunTimeout(t *testing.T) {
	f := &fakeOpenAI{hang: true}
	srv := httptest.NewServer(f)
	defer srv.Close()
	r, err := NewOpenAI(t.Context(), OpenAIOptions{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(t.Context(), r, []Request{{ID: "p1"}}, Options{Timeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "run timeout after 200ms") || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenAIKeyNeverShown(t *testing.T) {
	const key = "sk-test-5f1e9c0d2b7a4e3f"
	t.Setenv("CKPT_TEST_KEY", key)
	f := &fakeOpenAI{key: key}
	f.fail.Store(100)
	srv := httptest.NewServer(f)
	defer srv.Close()
	r, err := NewOpenAI(t.Context(), OpenAIOptions{Endpoint: srv.URL, KeyEnv: "CKPT_TEST_KEY", Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, gerr := r.Generate(t.Context(), Request{ID: "p1"})
	info, _ := json.Marshal(r.Info())
	for _, s := range []string{fmt.Sprint(gerr), string(info), fmt.Sprintf("%v %+v", r, r)} {
		if strings.Contains(s, key) {
			t.Errorf("key shown in %q", s)
		}
	}
	// A server that echoes the key in its error has it redacted.
	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Error(w, "bad key "+req.Header.Get("Authorization"), http.StatusInternalServerError)
	}))
	defer wrong.Close()
	_, err = NewOpenAI(t.Context(), OpenAIOptions{Endpoint: wrong.URL, KeyEnv: "CKPT_TEST_KEY", Retries: -1})
	if err == nil || strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("err = %v", err)
	}
	t.Setenv("CKPT_TEST_KEY", "")
	if _, err := NewOpenAI(t.Context(), OpenAIOptions{Endpoint: srv.URL, KeyEnv: "CKPT_TEST_KEY"}); err == nil || !strings.Contains(err.Error(), "CKPT_TEST_KEY") {
		t.Errorf("empty key env: err = %v", err)
	}
}

func TestOpenAIChatOnlyForRuntimeTemplate(t *testing.T) {
	f := &fakeOpenAI{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	r, err := NewOpenAI(t.Context(), OpenAIOptions{Endpoint: srv.URL, Chat: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Generate(t.Context(), Request{ID: "c", Messages: json.RawMessage(`[{"role":"user","content":"hi"}]`)})
	if err != nil || got.Text != "chat" {
		t.Fatalf("%+v, %v", got, err)
	}
	if !strings.Contains(f.lastBody.Load().(string), `"messages":[{"content":"hi","role":"user"}]`) {
		t.Errorf("body %s", f.lastBody.Load())
	}
}

func TestRunOrderAndProgress(t *testing.T) {
	srv := httptest.NewServer(&fakeOpenAI{})
	defer srv.Close()
	r, err := NewOpenAI(t.Context(), OpenAIOptions{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var reqs []Request
	for i := range 50 {
		reqs = append(reqs, Request{ID: fmt.Sprint(i), Prompt: fmt.Sprint("p", i)})
	}
	var seen []int
	got, err := Run(t.Context(), r, reqs, Options{Concurrency: 8, Progress: func(d, n int) { seen = append(seen, d) }})
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		if g.Text != fmt.Sprint("echo:p", i) {
			t.Fatalf("response %d = %q", i, g.Text)
		}
	}
	if len(seen) != 50 || seen[49] != 50 || seen[0] != 1 {
		t.Errorf("progress %v", seen)
	}
}
