package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/ollama"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// ollamaSpec bundles the merge's Q8_0 GGUF and the adapter on top of the
// base's for Ollama.
const ollamaSpec = ggufBaseSpec + `
bundle "ollama" "release" {
  from = export.release
  name = "support-assistant"
  type = "q8_0"
}

bundle "ollama" "lora" {
  from = export.lora
  base = export.base
  name = "support-lora"
}
`

// layoutManifest reads the manifest tagged "bundle" of an OCI layout.
func layoutManifest(t *testing.T, dir string) ollama.Manifest {
	t.Helper()
	var idx struct {
		Manifests []struct {
			MediaType   string            `json:"mediaType"`
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil || json.Unmarshal(b, &idx) != nil {
		t.Fatalf("index.json: %v", err)
	}
	for _, d := range idx.Manifests {
		if d.Annotations["org.opencontainers.image.ref.name"] == "bundle" {
			if d.MediaType != ollama.MediaTypeManifest {
				t.Errorf("index entry media type %s", d.MediaType)
			}
			var m ollama.Manifest
			b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d.Digest, "sha256:")))
			if err != nil || json.Unmarshal(b, &m) != nil {
				t.Fatalf("manifest %s: %v", d.Digest, err)
			}
			return m
		}
	}
	t.Fatal("no manifest tagged bundle")
	return ollama.Manifest{}
}

func TestBuildOllamaBundle(t *testing.T) {
	a, b := ggufProject(t, ollamaSpec), ggufProject(t, ollamaSpec)
	first, second := buildArtifacts(t, a), buildArtifacts(t, b)
	for _, step := range []string{"bundle.release", "bundle.lora"} {
		if first[step].Status != run.StatusOK || first[step].Artifact != second[step].Artifact {
			t.Fatalf("%s: %+v, then %+v", step, first[step], second[step])
		}
	}
	out := filepath.Join(t.TempDir(), "lora")
	if code, _, errOut := ckptRun(t, "export", "--dir", a, "bundle.lora", out); code != 0 {
		t.Fatalf("ckpt export: %s", errOut)
	}
	m := layoutManifest(t, out)
	var types []string
	for _, l := range m.Layers {
		types = append(types, strings.TrimPrefix(l.MediaType, "application/vnd.ollama.image."))
	}
	if got := strings.Join(types, ","); got != "model,adapter,template,params,license" {
		t.Errorf("layers %s", got)
	}
	if m.Config.MediaType != ollama.MediaTypeConfig {
		t.Errorf("config %s", m.Config.MediaType)
	}
}

func TestBuildOllamaBundleBadTemplate(t *testing.T) {
	spec := strings.Replace(ollamaSpec, `  type = "q8_0"`, `  type = "q8_0"
  template = "{{ range .Messages }}{{ .Content }}{{ end }}"`, 1)
	dir := ggufProject(t, spec)
	evs := buildArtifacts(t, dir)
	if evs["bundle.release"].Status == run.StatusOK {
		t.Fatalf("a template that renders other text was accepted")
	}
	code, out, errOut := ckptProc(t, nil, "build", dir)
	if code == 0 || !strings.Contains(out+errOut, "does not match the chat template") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
}
