package bundle

import (
	"fmt"
	"os"
	"sort"

	"github.com/ckpt-dev/ckpt/packaging/mlbom"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FileMLBOM is the title of the ML-BOM referrer's one layer.
const FileMLBOM = "mlbom.cdx.json"

// attachMLBOM adds the CycloneDX ML-BOM of the manifest desc as a
// referrer: every layer's path and digest, the model card from m and the
// outputs of the eval gates.
func (b *builder) attachMLBOM(desc ocispec.Descriptor, m *specv1.Metadata) error {
	raw, err := os.ReadFile(b.layout.BlobPath(desc.Digest))
	if err != nil {
		return fmt.Errorf("ML-BOM: %w", err)
	}
	man, err := modelpack.ParseManifest(raw)
	if err != nil {
		return fmt.Errorf("ML-BOM: %s: %w", desc.Digest, err)
	}
	cfg, err := os.ReadFile(b.layout.BlobPath(man.Config.Digest))
	if err != nil {
		return fmt.Errorf("ML-BOM: %w", err)
	}
	in := mlbom.Input{Name: b.cfg.Name, Version: b.cfg.Version, Manifest: desc.Digest, Metadata: m,
		Evals: gateEvals(b.req), Tool: buildVersion(b.req)}
	for _, f := range modelpack.Describe(man, cfg).Files {
		path := layerName(f)
		in.Files = append(in.Files, mlbom.File{Path: path, Digest: f.Layer.Digest, Size: f.Layer.Size, MediaType: f.Layer.MediaType})
	}
	doc, err := mlbom.JSON(in)
	if err != nil {
		return err
	}
	if _, err := modelpack.Attach(b.layout, desc, mlbom.MediaType, []modelpack.Blob{
		{MediaType: mlbom.MediaType, Title: FileMLBOM, Data: doc},
	}); err != nil {
		return fmt.Errorf("ML-BOM: %w", err)
	}
	return nil
}

// gateEvals lists the outputs of the eval gates (verdict, rates), sorted.
func gateEvals(req *specv1.RunRequest) []mlbom.Eval {
	var out []mlbom.Eval
	for _, g := range req.InputsFor(specv1.AttrGate) {
		if g.Metadata.Kind != specv1.KindEval {
			continue
		}
		for k, v := range g.Metadata.Outputs {
			out = append(out, mlbom.Eval{Step: g.Step, Metric: k, Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Step != out[j].Step {
			return out[i].Step < out[j].Step
		}
		return out[i].Metric < out[j].Metric
	})
	return out
}

func buildVersion(req *specv1.RunRequest) string {
	if req.Build == nil {
		return ""
	}
	return req.Build.CkptVersion
}

// layerName names a layer in the ML-BOM: its file path, else what the
// artifact's config calls it (a KitOps tar layer: the Kitfile), else its
// title, else its media type and digest (an Ollama layer:
// application/vnd.ollama.image.license@sha256:…; several may share a type).
func layerName(f modelpack.FileInfo) string {
	for _, n := range []string{f.Path, f.Name, f.Layer.Annotations[ocispec.AnnotationTitle]} {
		if n != "" {
			return n
		}
	}
	return f.Layer.MediaType + "@" + f.Layer.Digest.String()
}
