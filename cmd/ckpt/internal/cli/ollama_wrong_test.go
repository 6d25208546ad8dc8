package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/packaging/ollama"
	"github.com/ckpt-dev/ckpt/plugins/bundle"
)

// wrongArchBundle writes an Ollama bundle (OCI layout) whose model layer is
// model with its general.architecture renamed to "llamx": a well-formed
// GGUF that no runtime can run.
func wrongArchBundle(t *testing.T, model string) string {
	t.Helper()
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("general.architecture\x08\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00llama")
	i := bytes.Index(b, key)
	if i < 0 {
		t.Fatalf("%s: no general.architecture = llama", model)
	}
	b[i+len(key)-1] = 'x'
	wrong := filepath.Join(t.TempDir(), "wrong.gguf")
	if err := os.WriteFile(wrong, b, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "bundle")
	l, err := modelpack.CreateLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ollama.Build(context.Background(), l, ollama.Options{Model: wrong, Licenses: [][]byte{[]byte("Apache-2.0")}, Tag: bundle.Tag}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkOllamaRefuses proves the Ollama judge can fail: it pulls a bundle
// whose GGUF names an unknown architecture, and generating with it fails.
func checkOllamaRefuses(t *testing.T, o *testenv.Ollama, host, model string) {
	t.Helper()
	ref := host + "/ckpt/wrong:v1"
	if code, out, errOut := ckptRun(t, "push", "--bundle", wrongArchBundle(t, model), ref, "--plain-http", "--allow-unlicensed"); code != 0 {
		t.Fatalf("ckpt push --bundle: exit %d\n%s%s", code, out, errOut)
	}
	if out, err := o.Run("pull", "--insecure", ref); err != nil {
		t.Fatalf("ollama pull %s: %v\n%s", ref, err, out)
	}
	got, err := o.Generate(ref, ollamaPrompt, 12)
	if err == nil {
		t.Fatalf("Ollama ran a GGUF of architecture llamx and answered %q", got)
	}
	if msg := err.Error(); !strings.Contains(msg, "llamx") && !strings.Contains(msg, "unable to load model") {
		t.Errorf("Ollama refused the wrong bundle for another reason: %v", err)
	}
}
