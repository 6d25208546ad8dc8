package runner

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/internal/testenv"
)

// TestMain lets the test binary serve as the command a runner starts:
// with CKPT_FAKE_OPENAI_PORT set it serves fakeOpenAI there, after
// starting a child (sleep) whose pid it writes to CKPT_FAKE_CHILD_PID;
// with CKPT_FAKE_OLLAMA_LOG set it is a fake `ollama serve` (fakeOllama).
func TestMain(m *testing.M) {
	if log := os.Getenv("CKPT_FAKE_OLLAMA_LOG"); log != "" {
		fmt.Fprintln(os.Stderr, http.ListenAndServe(os.Getenv("OLLAMA_HOST"), fakeOllama(log)))
		os.Exit(2)
	}
	if port := os.Getenv("CKPT_FAKE_OPENAI_PORT"); port != "" {
		child := exec.Command("sleep", "600")
		if err := child.Start(); err != nil {
			os.Exit(3)
		}
		os.WriteFile(os.Getenv("CKPT_FAKE_CHILD_PID"), []byte(strconv.Itoa(child.Process.Pid)), 0o644)
		time.Sleep(300 * time.Millisecond) // not ready at once: the runner must wait
		fmt.Fprintln(os.Stderr, http.ListenAndServe("127.0.0.1:"+port, &fakeOpenAI{}))
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// alive reports a running process (a zombie waiting for init is dead).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

func TestOpenAICommandStartsAndStops(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	self, _ := os.Executable()
	cmd := []string{"env", "CKPT_FAKE_OPENAI_PORT={port}", "CKPT_FAKE_CHILD_PID=" + pidFile, self}
	r, err := NewOpenAI(t.Context(), OpenAIOptions{Command: cmd, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if !info.Bound || !strings.HasPrefix(info.Endpoint, "http://127.0.0.1:") || info.Model != "tiny" {
		t.Errorf("info %+v: want bound, a loopback endpoint, model tiny", info)
	}
	got, err := r.Generate(t.Context(), Request{ID: "a", Prompt: "hi"})
	if err != nil || got.Text != "echo:hi" {
		t.Fatalf("%+v, %v", got, err)
	}
	b, _ := os.ReadFile(pidFile)
	child, _ := strconv.Atoi(string(b))
	if child == 0 || !alive(child) {
		t.Fatalf("child pid %q not running", b)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50 && alive(child); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(child) {
		t.Errorf("the server's child %d outlived Close: process group not killed", child)
	}
	if _, err := http.Get(info.Endpoint + "/v1/models"); err == nil {
		t.Errorf("the server still answers after Close")
	}
}

func TestOpenAICommandExitsEarly(t *testing.T) {
	_, err := NewOpenAI(t.Context(), OpenAIOptions{Command: []string{"sh", "-c", "echo cannot load {dir} >&2; exit 7"}, Dir: "/models/x"})
	if err == nil || !strings.Contains(err.Error(), "ready: the server exited") || !strings.Contains(err.Error(), "cannot load /models/x") {
		t.Fatalf("err = %v", err)
	}
	_, err = NewOpenAI(t.Context(), OpenAIOptions{Command: []string{"/nonexistent/vllm", "serve"}})
	if err == nil || !strings.Contains(err.Error(), "start /nonexistent/vllm") {
		t.Fatalf("err = %v", err)
	}
	_, err = NewOpenAI(t.Context(), OpenAIOptions{Command: []string{"sleep", "60"}, StartTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "ready: no answer after 300ms") {
		t.Fatalf("err = %v", err)
	}
}

// ollamaCommand starts a real Ollama through the openai runner's command.
func ollamaCommand(bin string) []string {
	return []string{"env", "OLLAMA_HOST=127.0.0.1:{port}", "OLLAMA_MODELS={dir}/models", "HOME={dir}", bin, "serve"}
}

func TestOpenAIAgainstOllama(t *testing.T) {
	bin := testenv.RequireOllama(t)
	dir := t.TempDir()
	_, err := NewOpenAI(t.Context(), OpenAIOptions{Command: ollamaCommand(bin), Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "serves no model") {
		t.Fatalf("an empty Ollama: err = %v", err)
	}
	r, err := NewOpenAI(t.Context(), OpenAIOptions{Command: ollamaCommand(bin), Dir: dir, Model: "absent"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Generate(t.Context(), Request{ID: "p1", Prompt: "hi"})
	if err == nil || !strings.Contains(err.Error(), "/v1/completions: generate p1: HTTP 404") {
		t.Fatalf("unknown model: err = %v", err)
	}
}

func TestOllamaRefusesWhatIsNotGGUF(t *testing.T) {
	bin := testenv.RequireOllama(t)
	file := filepath.Join(t.TempDir(), "model.gguf")
	os.WriteFile(file, []byte("not a gguf file"), 0o644)
	_, err := NewOllama(t.Context(), OllamaOptions{Binary: bin, GGUF: file, Dir: t.TempDir(), Digest: "sha256:" + strings.Repeat("0", 64)})
	if err == nil || !strings.Contains(err.Error(), "upload model.gguf") {
		t.Fatalf("wrong digest: err = %v", err)
	}
	_, err = NewOllama(t.Context(), OllamaOptions{Binary: bin, GGUF: file, Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "/api/create: create ckpt-") {
		t.Fatalf("not a GGUF: err = %v", err)
	}
	var se *statusError
	if !errors.As(err, &se) || se.code/100 != 4 {
		t.Errorf("err %v: want Ollama's 4xx", err)
	}
	t.Log(err)
}
