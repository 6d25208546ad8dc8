package modelpack

import (
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/layer"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func TestDescribe(t *testing.T) {
	m, err := ParseManifest([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
		"artifactType":"application/vnd.cncf.model.manifest.v1+json",
		"config":{"mediaType":"application/vnd.cncf.model.config.v1+json","digest":"sha256:aa","size":2},
		"layers":[{"mediaType":"application/vnd.cncf.model.weight.v1.tar+zstd","digest":"sha256:bb","size":9,
		  "annotations":{"org.cncf.model.filepath":"w.safetensors"}}],
		"annotations":{"dev.ckpt.license":"MIT","dev.ckpt.lineage":"[{\"role\":\"base\",\"id\":\"b\"}]"}}`))
	if err != nil {
		t.Fatal(err)
	}
	a := Describe(m, []byte(`{"descriptor":{"licenses":["Apache-2.0"]},"modelfs":{"type":"layers","diffIds":["sha256:cc"]}}`))
	f := a.Files[0]
	if a.Format != FormatModelPack || a.License != "MIT" || len(a.Lineage) != 1 || f.Path != "w.safetensors" ||
		f.Encoding != layer.TarZstd || f.DiffID != "sha256:cc" || f.Kind != "weight" {
		t.Errorf("%+v", a)
	}
	if _, err := ParseManifest([]byte(`{"mediaType":"application/vnd.oci.image.index.v1+json"}`)); err == nil {
		t.Error("index accepted as a manifest")
	}
	if DetectFormat(m) != FormatModelPack || layerKind(specv1.MediaTypeWeightFloat) != "weight" {
		t.Error("detect")
	}
}

// TestDescribeOllama: Ollama's layers, which carry no file names, are
// named by role, a repeated role numbered.
func TestDescribeOllama(t *testing.T) {
	m, err := ParseManifest([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
		"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:aa","size":2},
		"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:01","size":9},
		  {"mediaType":"application/vnd.ollama.image.adapter","digest":"sha256:02","size":9},
		  {"mediaType":"application/vnd.ollama.image.template","digest":"sha256:03","size":9},
		  {"mediaType":"application/vnd.ollama.image.params","digest":"sha256:04","size":9},
		  {"mediaType":"application/vnd.ollama.image.license","digest":"sha256:05","size":9},
		  {"mediaType":"application/vnd.ollama.image.license","digest":"sha256:06","size":9},
		  {"mediaType":"application/vnd.ollama.image.messages","digest":"sha256:07","size":9},
		  {"mediaType":"application/vnd.ollama.image.messages","digest":"sha256:08","size":9},
		  {"mediaType":"application/vnd.ollama.image.system","digest":"sha256:09","size":9}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a := Describe(m, []byte(`{"model_format":"gguf","rootfs":{"type":"layers","diff_ids":[]}}`))
	var got []string
	for _, f := range a.Files {
		if f.Encoding != layer.Raw {
			t.Errorf("%s: encoding %v", f.Path, f.Encoding)
		}
		got = append(got, f.Kind+":"+f.Path)
	}
	want := "model:model.gguf adapter:adapter.gguf template:template params:params.json license:LICENSE " +
		"license:LICENSE-2 messages:messages.json messages:messages-2.json system:system"
	if a.Format != FormatOllama || strings.Join(got, " ") != want {
		t.Errorf("format %s, files %s", a.Format, strings.Join(got, " "))
	}
	m.Layers = m.Layers[:0]
	if DetectFormat(m) != FormatOCI {
		t.Error("an image without Ollama layers reads as Ollama")
	}
}

// TestDescribeDockerLicense: a Docker model config's GGUF general.license
// is the license when no annotation says one.
func TestDescribeDockerLicense(t *testing.T) {
	m, err := ParseManifest([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
		"config":{"mediaType":"application/vnd.docker.ai.model.config.v0.1+json","digest":"sha256:aa","size":2},
		"layers":[{"mediaType":"application/vnd.docker.ai.gguf.v3","digest":"sha256:bb","size":9,
		  "annotations":{"org.cncf.model.filepath":"m-Q8_0.gguf"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a := Describe(m, []byte(`{"config":{"format":"gguf","gguf":{"general.license":"Apache-2.0"}}}`))
	if a.Format != FormatDocker || a.License != "Apache-2.0" || a.Files[0].Path != "m-Q8_0.gguf" || a.Files[0].Kind != "gguf.v3" {
		t.Errorf("%+v", a)
	}
}

func FuzzDescribe(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"artifactType":"application/vnd.cncf.model.manifest.v1+json","layers":[{"mediaType":"application/vnd.cncf.model.weight.v1.raw","annotations":{"org.cncf.model.filepath":"a"}}],"annotations":{"dev.ckpt.lineage":"[{}]"}}`),
		[]byte(`{"modelfs":{"diffIds":["x"]},"package":{"license":"MIT"}}`))
	f.Add([]byte(`{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.license"},{"mediaType":"application/vnd.ollama.image.license"},{"mediaType":"application/vnd.ollama.image.x.y"}]}`),
		[]byte(`{"config":{"gguf":{"general.license":"MIT"}}}`))
	f.Fuzz(func(t *testing.T, manifest, config []byte) {
		m, err := ParseManifest(manifest)
		if err != nil {
			return
		}
		a := Describe(m, config)
		if len(a.Files) != len(m.Layers) {
			t.Fatalf("%d files for %d layers", len(a.Files), len(m.Layers))
		}
	})
}
