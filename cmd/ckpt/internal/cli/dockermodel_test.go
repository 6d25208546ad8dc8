package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/dockermodel"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const dockerModelSpec = ggufBaseSpec + `
bundle "docker-model" "release" {
  from = export.release
  name = "support-assistant"
  type = "q4_k_m"
}

bundle "docker-model" "lora" {
  from = export.lora
  base = export.base
  name = "support-lora"
}
`

func TestBuildDockerModelBundle(t *testing.T) {
	a, b := ggufProject(t, dockerModelSpec), ggufProject(t, dockerModelSpec)
	first, second := buildArtifacts(t, a), buildArtifacts(t, b)
	for _, step := range []string{"bundle.release", "bundle.lora"} {
		if first[step].Status != run.StatusOK || first[step].Artifact != second[step].Artifact {
			t.Fatalf("%s: %+v, then %+v", step, first[step], second[step])
		}
	}
	for step, want := range map[string]string{
		"bundle.release": "gguf.v3 support-assistant-Q4_K_M.gguf,license LICENSE,license NOTICE,chat.template.jinja template.jinja",
		"bundle.lora":    "gguf.v3 mistral-tiny-Q8_0.gguf,gguf.v3.lora support-lora-F32.gguf,license LICENSE,chat.template.jinja template.jinja",
	} {
		m := ociManifest(t, exportDir(t, a, step))
		var got []string
		for _, l := range m.Layers {
			got = append(got, strings.TrimPrefix(l.MediaType, "application/vnd.docker.ai.")+" "+l.Annotations[dockermodel.AnnotationFilePath])
		}
		if strings.Join(got, ",") != want || m.Config.MediaType != dockermodel.MediaTypeConfig {
			t.Errorf("%s: config %s, layers %s", step, m.Config.MediaType, strings.Join(got, ","))
		}
	}
}

// ociManifest reads the manifest tagged "bundle" of an OCI layout.
func ociManifest(t *testing.T, dir string) ocispec.Manifest {
	t.Helper()
	var idx ocispec.Index
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil || json.Unmarshal(b, &idx) != nil {
		t.Fatalf("index.json: %v", err)
	}
	for _, d := range idx.Manifests {
		if d.Annotations[ocispec.AnnotationRefName] == "bundle" {
			var m ocispec.Manifest
			b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", d.Digest.Encoded()))
			if err != nil || json.Unmarshal(b, &m) != nil {
				t.Fatalf("manifest %s: %v", d.Digest, err)
			}
			return m
		}
	}
	t.Fatal("no manifest tagged bundle")
	return ocispec.Manifest{}
}
