package cli

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
)

// TestPullOllamaWithAuth: ckpt pull --ollama installs a bundle from an
// htpasswd-protected docker-registry, which Ollama's own pull cannot read;
// `ollama list` shows it and Ollama answers what llama.cpp answers.
func TestPullOllamaWithAuth(t *testing.T) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{Htpasswd: true})
	llama := testenv.RequireLlama(t)
	dir := ggufProject(t, "")
	spec := ollamaF32Spec + fmt.Sprintf(`
push "registry" "release" {
  bundle     = bundle.release
  ref        = "%s/ckpt/support:v1"
  plain_http = true
}
`, reg.Host)
	if err := os.WriteFile(filepath.Join(dir, "gguf.ckpt.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgDir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(reg.User + ":" + reg.Password))
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(`{"auths": {"`+reg.Host+`": {"auth": "`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"DOCKER_CONFIG=" + cfgDir}
	if code, out, errOut := ckptProc(t, env, "push", dir); code != 0 {
		t.Fatalf("ckpt push: exit %d\n%s%s", code, out, errOut)
	}
	ref := reg.Host + "/ckpt/support:v1"
	models := filepath.Join(t.TempDir(), "models")
	if code, _, errOut := ckptProc(t, []string{"DOCKER_CONFIG=" + t.TempDir()}, "pull", ref, "--ollama", models, "--plain-http"); code == 0 || !strings.Contains(errOut, "credential") {
		t.Errorf("pull without credentials: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(models, "manifests")); err == nil {
		t.Error("a failed pull left a manifest")
	}
	code, out, errOut := ckptProc(t, env, "pull", ref, "--ollama", models, "--plain-http")
	if code != 0 || strings.TrimSpace(out) != ref {
		t.Fatalf("ckpt pull --ollama: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(models, "manifests", reg.Host, "ckpt", "support", "v1")); err != nil {
		t.Fatal(err)
	}
	o := testenv.StartOllama(t, models)
	if list, _ := o.Run("list"); !strings.Contains(list, ref) {
		t.Errorf("ollama list:\n%s", list)
	}
	got, err := o.Generate(ref, ollamaPrompt, 12)
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(exportDir(t, dir, "export.release"), "support-assistant-F32.gguf")
	if want := llama.Generate(t, model, "", ollamaPrompt, 12, "[INST]", "[/INST]"); !strings.HasPrefix(got, want) || want == "" {
		t.Errorf("Ollama %q, llama.cpp %q", got, want)
	}
}

func TestPullOllamaUsage(t *testing.T) {
	if code, _, errOut := ckptRun(t, "pull", "oci:/tmp/x:v1", "--ollama"); code != 2 || !strings.Contains(errOut, "layout") {
		t.Errorf("layout ref: exit %d %s", code, errOut)
	}
	if code, _, errOut := ckptRun(t, "pull", "localhost:5000/a/b/c:v1", "--ollama", t.TempDir()); code != 2 || !strings.Contains(errOut, "host/namespace/model") {
		t.Errorf("deep repository: exit %d %s", code, errOut)
	}
	if code, _, _ := ckptRun(t, "pull", "localhost:5000/a/b:v1"); code != 2 {
		t.Errorf("pull without DIR or --ollama: exit %d", code)
	}
}
