package modelpack

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/layer"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Artifact formats Describe recognises.
const (
	FormatModelPack = "modelpack"  // CNCF ModelPack (also legacy cnai names)
	FormatKitOps    = "kitops"     // KitOps ModelKit
	FormatDocker    = "docker"     // Docker model artifact
	FormatCkpt      = "ckpt"       // a ckpt store artifact
	FormatFloat     = "ckpt-float" // ckpt's float-coded model (ModelPack-shaped, own types)
	FormatOllama    = "ollama"     // Ollama's registry format (Docker v2, vnd.ollama.image.* layers)
	FormatOCI       = "oci"        // any other OCI manifest
)

// Artifact is what a model manifest says about its files.
type Artifact struct {
	Format   string
	Manifest ocispec.Manifest
	// Config is the raw config blob (may be empty when not fetched).
	Config  json.RawMessage
	Files   []FileInfo
	License string
	Lineage []specv1.Lineage
}

// FileInfo is one layer of a model artifact.
type FileInfo struct {
	// Path is where the file goes; empty for a tar layer without a path,
	// whose entries carry their own.
	Path     string
	Layer    ocispec.Descriptor
	Kind     string
	Encoding layer.Encoding
	// DiffID is the uncompressed digest from the ModelPack config, if any.
	DiffID string
	// Name is what the artifact's config calls a layer without a Path (a
	// KitOps layer's Kitfile path), for display.
	Name string
}

// ParseManifest decodes an OCI image manifest.
func ParseManifest(b []byte) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("manifest: %w", err)
	}
	if m.MediaType != "" && m.MediaType != ocispec.MediaTypeImageManifest &&
		m.MediaType != "application/vnd.docker.distribution.manifest.v2+json" {
		return m, fmt.Errorf("manifest media type %q is not an image manifest", m.MediaType)
	}
	return m, nil
}

// DetectFormat tells the artifact format by artifactType or config media type.
func DetectFormat(m ocispec.Manifest) string {
	for _, t := range []string{m.ArtifactType, m.Config.MediaType} {
		switch {
		case strings.HasPrefix(t, "application/vnd.ckpt.model.float."):
			return FormatFloat
		case strings.HasPrefix(t, "application/vnd.cncf.model."), strings.HasPrefix(t, "application/vnd.cnai.model."):
			return FormatModelPack
		case strings.HasPrefix(t, "application/vnd.kitops.modelkit."), strings.HasPrefix(t, "application/vnd.jozu.model."):
			return FormatKitOps
		case strings.HasPrefix(t, "application/vnd.docker.ai."):
			return FormatDocker
		case strings.HasPrefix(t, "application/vnd.ckpt."):
			return FormatCkpt
		}
	}
	if isOllama(m) {
		return FormatOllama
	}
	return FormatOCI
}

// Describe lists the files of manifest m with config cfg (may be nil).
func Describe(m ocispec.Manifest, cfg []byte) *Artifact {
	a := &Artifact{Format: DetectFormat(m), Manifest: m, Config: cfg}
	var diffIDs []string
	if (a.Format == FormatModelPack || a.Format == FormatFloat) && len(cfg) > 0 {
		var c Config
		if json.Unmarshal(cfg, &c) == nil {
			diffIDs = c.ModelFS.DiffIDs
			if a.License == "" && len(c.Descriptor.Licenses) > 0 {
				a.License = strings.Join(c.Descriptor.Licenses, " AND ")
			}
		}
	}
	for i, l := range m.Layers {
		f := FileInfo{Path: LayerPath(l), Layer: l, Kind: layerKind(l.MediaType), Encoding: layer.EncodingOf(l.MediaType)}
		orasFile(&f)
		if len(diffIDs) == len(m.Layers) {
			f.DiffID = diffIDs[i]
		}
		a.Files = append(a.Files, f)
	}
	switch a.Format {
	case FormatKitOps:
		nameKitLayers(a.Files, cfg)
	case FormatOllama:
		nameOllamaLayers(a.Files)
	}
	if lic := m.Annotations[specv1.AnnotationLicense]; lic != "" {
		a.License = lic
	}
	if a.License == "" {
		a.License = configLicense(a.Format, cfg)
	}
	if lin := m.Annotations[specv1.AnnotationLineage]; lin != "" {
		_ = json.Unmarshal([]byte(lin), &a.Lineage)
	}
	return a
}

// LayerPath is a layer's file path: org.cncf.model.filepath, the legacy
// org.cnai.model.filepath, or the title. A title names the blob, which is
// the file only for a raw layer (or an oras layer): a coded layer's title
// loses its codec suffix (".bplane", ".zst"), and a tar layer's is no
// file path at all (its entries name the files).
func LayerPath(d ocispec.Descriptor) string {
	for _, k := range []string{specv1.AnnotationFilepath, specv1.AnnotationFilepathLegacy} {
		if p := d.Annotations[k]; p != "" {
			return p
		}
	}
	t := d.Annotations[specv1.AnnotationTitle]
	if t == "" || strings.HasPrefix(d.MediaType, "application/vnd.oci.image.layer.") {
		return t
	}
	switch enc := layer.EncodingOf(d.MediaType); enc {
	case layer.Raw:
		return t
	case layer.Float, layer.Zstd:
		return strings.TrimSuffix(t, TitleSuffix(enc))
	}
	return ""
}

// layerKind names what a layer holds from its media type.
func layerKind(mt string) string {
	for _, p := range []string{"application/vnd.cncf.model.", "application/vnd.cnai.model.", "application/vnd.kitops.modelkit.", "application/vnd.jozu.model."} {
		if rest, ok := strings.CutPrefix(mt, p); ok {
			kind, _, _ := strings.Cut(rest, ".v1")
			return kind
		}
	}
	switch {
	case mt == specv1.MediaTypeWeightFloat || mt == specv1.MediaTypeWeightZstd:
		return string(KindWeight)
	case strings.HasPrefix(mt, "application/vnd.docker.ai."):
		return strings.TrimPrefix(mt, "application/vnd.docker.ai.")
	}
	return "file"
}

// configLicense reads a license from KitOps, ckpt or Docker model
// configs (the GGUF's general.license).
func configLicense(format string, cfg []byte) string {
	if len(cfg) == 0 {
		return ""
	}
	var c struct {
		License string `json:"license"`
		Package struct {
			License string `json:"license"`
		} `json:"package"`
		Model struct {
			License string `json:"license"`
		} `json:"model"`
		Config struct {
			GGUF map[string]string `json:"gguf"`
		} `json:"config"`
	}
	if json.Unmarshal(cfg, &c) != nil {
		return ""
	}
	for _, l := range []string{c.License, c.Package.License, c.Model.License, c.Config.GGUF["general.license"]} {
		if l != "" {
			return l
		}
	}
	return ""
}

// orasFile applies oras' rule to generic OCI layers: a titled
// application/vnd.oci.image.layer.* layer (oras push's default type) is
// the file itself, unless io.deis.oras.content.unpack says it is a
// tar+gzip of a folder, whose entries carry their own names.
func orasFile(f *FileInfo) {
	if !strings.HasPrefix(f.Layer.MediaType, "application/vnd.oci.image.layer.") || f.Layer.Annotations[specv1.AnnotationTitle] == "" {
		return
	}
	f.Encoding = layer.Raw
	if f.Layer.Annotations["io.deis.oras.content.unpack"] == "true" {
		f.Encoding, f.Path = layer.TarGzip, ""
	}
}
