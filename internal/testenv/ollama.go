package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gofrs/flock"
)

// OllamaVersion is the Ollama release tests run (newer ones do not build
// from the module proxy; see reference/runtimes.md).
const OllamaVersion = "v0.6.5"

// RequireOllama returns the ollama binary: $CKPT_CI_CACHE/bin/ollama (or
// ~/.cache/ckpt-ci/bin/ollama), else one on PATH. Under CI it builds the
// cached one with `go install github.com/ollama/ollama@OllamaVersion` (a few
// minutes, once, behind a file lock); elsewhere a missing binary skips.
func RequireOllama(t testing.TB) string {
	t.Helper()
	bin := CacheBin()
	p := filepath.Join(bin, "ollama")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if found, err := exec.LookPath("ollama"); err == nil {
		return found
	}
	if os.Getenv("CI") == "" {
		missing(t, "ollama is not in %s nor on PATH", bin)
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	lock := flock.New(filepath.Join(bin, ".ollama.lock"))
	if err := lock.Lock(); err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	if _, err := os.Stat(p); err == nil {
		return p
	}
	cmd := exec.Command("go", "install", "github.com/ollama/ollama@"+OllamaVersion)
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOBIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		missing(t, "go install ollama@%s: %v\n%s", OllamaVersion, err, out)
	}
	return p
}
