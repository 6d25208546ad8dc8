package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gofrs/flock"
)

// LlamaVersion is the node-llama-cpp release tests run llama.cpp through
// (newer ones may not install here; see reference/runtimes.md).
const LlamaVersion = "3.21.1"

// Llama is an installed node-llama-cpp: Dir holds node_modules, Node runs
// scripts that import it, Lib is the folder of llama.cpp's shared libraries.
type Llama struct {
	Dir  string
	Node string
	Lib  string
}

// Bundle is the git bundle of the llama.cpp source behind the binaries.
func (l Llama) Bundle() string {
	return filepath.Join(l.Dir, "node_modules/node-llama-cpp/llama/gitRelease.bundle")
}

// RequireLlama finds node-llama-cpp@LlamaVersion in the cache folder or
// installs it there with npm (CPU build only, nothing compiled), skipping
// without node and npm unless CI=true. Concurrent test binaries share one
// install through a file lock.
func RequireLlama(t testing.TB) Llama {
	t.Helper()
	node := RequireTool(t, "node")
	npm := RequireTool(t, "npm")
	dir := filepath.Join(CacheRoot(), "node", "llama-"+LlamaVersion)
	l := Llama{Dir: dir, Node: node, Lib: filepath.Join(dir, "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64")}
	ready := filepath.Join(dir, ".installed")
	if _, err := os.Stat(ready); err == nil {
		return l
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock := flock.New(filepath.Join(dir, ".lock"))
	if err := lock.Lock(); err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	if _, err := os.Stat(ready); err == nil {
		return l
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private":true,"type":"module"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(npm, "install", "--omit=optional", "--no-audit", "--no-fund",
		"node-llama-cpp@"+LlamaVersion, "@node-llama-cpp/linux-x64@"+LlamaVersion, "tiktoken@1.0.22")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		missing(t, "npm install node-llama-cpp@%s: %v\n%s", LlamaVersion, err, out)
	}
	if _, err := os.Stat(l.Lib); err != nil {
		missing(t, "node-llama-cpp installed without its linux-x64 binaries: %v", err)
	}
	if err := os.WriteFile(ready, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}
