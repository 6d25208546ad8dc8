package gguf

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
)

// llamaOut is what testdata/llama.mjs prints.
type llamaOut struct {
	Vocab    int         `json:"vocab"`
	LogProbs [][]float64 `json:"logprobs"`
	Greedy   []int       `json:"greedy"`
	Tokenize [][]int     `json:"tokenize"`
}

type llamaReq struct {
	Model  string  `json:"model"`
	Lora   string  `json:"lora,omitempty"`
	Tokens []int   `json:"tokens,omitempty"`
	Greedy int     `json:"greedy,omitempty"`
	Texts  [][]any `json:"texts,omitempty"`
}

// nodeScript copies a testdata script next to a node_modules link to the
// installed node-llama-cpp, so that its imports resolve.
func nodeScript(t testing.TB, l testenv.Llama, name string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(l.Dir, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runJSON(t testing.TB, out any, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	b, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s: %v\n%s", filepath.Base(args[0]), err, stderr)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v", filepath.Base(args[0]), err)
	}
}

func runLlama(t testing.TB, l testenv.Llama, script string, req llamaReq) llamaOut {
	t.Helper()
	b, _ := json.Marshal(req)
	var out llamaOut
	runJSON(t, &out, l.Node, script, string(b))
	return out
}

// refOut is what testdata/reference.py prints.
type refOut struct {
	LogProbs [][]float64 `json:"logprobs"`
	Greedy   []int       `json:"greedy"`
}

func runReference(t testing.TB, py, dir string, tokens []int, round string, greedy int) refOut {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"tokens": tokens, "round": round, "greedy": greedy})
	var out refOut
	runJSON(t, &out, py, "testdata/reference.py", dir, string(b))
	return out
}

func maxAbsDiff(t testing.TB, a, b [][]float64) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d positions vs %d", len(a), len(b))
	}
	m := 0.0
	for i := range a {
		if len(a[i]) != len(b[i]) {
			t.Fatalf("position %d: %d log-probs vs %d", i, len(a[i]), len(b[i]))
		}
		for j := range a[i] {
			m = math.Max(m, math.Abs(a[i][j]-b[i][j]))
		}
	}
	return m
}
