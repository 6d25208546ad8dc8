package modelpack

import (
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

func FuzzDescribe(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"artifactType":"application/vnd.cncf.model.manifest.v1+json","layers":[{"mediaType":"application/vnd.cncf.model.weight.v1.raw","annotations":{"org.cncf.model.filepath":"a"}}],"annotations":{"dev.ckpt.lineage":"[{}]"}}`),
		[]byte(`{"modelfs":{"diffIds":["x"]},"package":{"license":"MIT"}}`))
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
