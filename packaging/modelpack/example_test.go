package modelpack_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Build packs a model folder as a ModelPack manifest in an OCI layout and
// attaches a license report. The digest is the same on any machine.
func ExampleBuild() {
	dir, _ := os.MkdirTemp("", "modelpack-example")
	defer os.RemoveAll(dir)
	var files []modelpack.File
	for name, content := range map[string]string{"consolidated.safetensors": "weights", "params.json": `{"dim":8}`} {
		src := filepath.Join(dir, name)
		_ = os.WriteFile(src, []byte(content), 0o644)
		files = append(files, modelpack.File{Path: name, Src: src, Mode: 0o644, Size: int64(len(content))})
	}
	l, _ := modelpack.CreateLayout(filepath.Join(dir, "layout"))
	meta := &specv1.Metadata{Kind: "model", License: "Apache-2.0", DType: "bf16"}
	d, err := modelpack.Build(context.Background(), l, files, modelpack.Options{Name: "tiny", Metadata: meta, Tag: "bundle"})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = modelpack.Attach(l, d, specv1.ArtifactTypeLicenseReport, []modelpack.Blob{
		{MediaType: "application/json", Title: "license-report.json", Data: []byte(`{"license":"Apache-2.0"}`)}})
	_ = l.Close()
	fmt.Println(d.ArtifactType)
	fmt.Println(d.Digest)
	// Output:
	// application/vnd.cncf.model.manifest.v1+json
	// sha256:0eead1d31c70b4a739fb83a81033ca988ded5c9835768346b586c7bcee8010d2
}
