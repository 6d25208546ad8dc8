package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/ollama"
)

// ollamaF32Spec is ollamaSpec with F32 bundles: on tiny N(0, 0.02) models
// the next-token distribution is nearly flat, and the activation rounding
// of quantized matmuls, which differs between Ollama's llama.cpp and
// node-llama-cpp's, flips greedy ties (measured with Q8_0).
var ollamaF32Spec = strings.NewReplacer(`types = ["q8_0"]`, `types = ["f32"]`, `"q4_k_m"]`, `"q4_k_m", "f32"]`,
	`type = "q8_0"`, `type = "f32"`).Replace(ollamaSpec)

// ollamaPushSpec pushes the base, merge and adapter bundles to host.
func ollamaPushSpec(host string) string {
	return ollamaF32Spec + fmt.Sprintf(`
bundle "ollama" "base" {
  from = export.base
  name = "mistral-tiny"
}

push "registry" "base" {
  bundle     = bundle.base
  ref        = "%[1]s/ckpt/tiny:v1"
  plain_http = true
}

push "registry" "release" {
  bundle     = bundle.release
  ref        = "%[1]s/ckpt/support:v1"
  plain_http = true
}

push "registry" "lora" {
  bundle     = bundle.lora
  ref        = "%[1]s/ckpt/support-lora:v1"
  plain_http = true
}
`, host)
}

// ollamaPrompt is the raw prompt both runtimes continue.
const ollamaPrompt = "[INST]Hello, who are you?[/INST]"

// TestOllamaPullsAndRuns: Ollama v0.6.5 pulls the bundles ckpt pushed to
// Debian's docker-registry and answers what llama.cpp answers on the same
// GGUF files; the adapter bundle shares the base's model blob and Ollama
// applies the adapter.
func TestOllamaPullsAndRuns(t *testing.T) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{Redirect: true})
	o := testenv.StartOllama(t, "")
	llama := testenv.RequireLlama(t)
	dir := ggufProject(t, "")
	if err := os.WriteFile(filepath.Join(dir, "gguf.ckpt.hcl"), []byte(ollamaPushSpec(reg.Host)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := ckptProc(t, nil, "push", dir); code != 0 {
		t.Fatalf("ckpt push: exit %d\n%s%s", code, out, errOut)
	}
	for _, repo := range []string{"tiny", "support", "support-lora"} {
		if out, err := o.Run("pull", "--insecure", reg.Host+"/ckpt/"+repo+":v1"); err != nil {
			t.Fatalf("ollama pull %s: %v\n%s", repo, err, out)
		}
	}
	list, _ := o.Run("list")
	for _, repo := range []string{"tiny", "support", "support-lora"} {
		if !strings.Contains(list, reg.Host+"/ckpt/"+repo+":v1") {
			t.Errorf("ollama list does not show %s:\n%s", repo, list)
		}
	}
	ggufs := exportedGGUFs(t, dir)
	cases := []struct{ repo, model, lora string }{
		{"tiny", ggufs["mistral-tiny-F32.gguf"], ""},
		{"support", ggufs["support-assistant-F32.gguf"], ""},
		{"support-lora", ggufs["mistral-tiny-F32.gguf"], ggufs["support-lora-F32.gguf"]},
	}
	answers := map[string]string{}
	for _, c := range cases {
		got, err := o.Generate(reg.Host+"/ckpt/"+c.repo+":v1", ollamaPrompt, 12)
		if err != nil {
			t.Fatalf("ollama generate %s: %v", c.repo, err)
		}
		want := llama.Generate(t, c.model, c.lora, ollamaPrompt, 12, "[INST]", "[/INST]")
		if !strings.HasPrefix(got, want) || want == "" {
			t.Errorf("%s: Ollama %q, llama.cpp %q", c.repo, got, want)
		}
		answers[c.repo] = got
	}
	if answers["support-lora"] == answers["tiny"] {
		t.Errorf("the adapter changes nothing: %q", answers["tiny"])
	}
	checkOllamaRefuses(t, o, reg.Host, ggufs["mistral-tiny-F32.gguf"])
	lora := layoutManifest(t, exportDir(t, dir, "bundle.lora"))
	base := layoutManifest(t, exportDir(t, dir, "bundle.base"))
	bl, _ := base.Layer(ollama.MediaTypeModel)
	ll, _ := lora.Layer(ollama.MediaTypeModel)
	if bl.Digest != ll.Digest {
		t.Errorf("the adapter bundle's model layer %s is not the base's %s", ll.Digest, bl.Digest)
	}
	blobs, _ := filepath.Glob(filepath.Join(o.Models, "blobs", "sha256-*"))
	n := 0
	for _, b := range blobs {
		if strings.HasSuffix(b, strings.Replace(bl.Digest.String(), ":", "-", 1)) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the base model blob is stored %d times in Ollama's folder", n)
	}
}

// exportDir exports a step's artifact into a new folder.
func exportDir(t *testing.T, dir, step string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if code, _, errOut := ckptRun(t, "export", "--dir", dir, step, out); code != 0 {
		t.Fatalf("ckpt export %s: %s", step, errOut)
	}
	return out
}

// exportedGGUFs exports the project's GGUF exports and maps file names to paths.
func exportedGGUFs(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, step := range []string{"export.release", "export.base", "export.lora"} {
		out := exportDir(t, dir, step)
		files, _ := filepath.Glob(filepath.Join(out, "*.gguf"))
		for _, f := range files {
			m[filepath.Base(f)] = f
		}
	}
	return m
}
