package kitops

// Media and artifact types of a ModelKit (kitops pkg/lib/constants).
const (
	MediaTypeConfig  = "application/vnd.kitops.modelkit.config.v1+json"
	ArtifactType     = "application/vnd.kitops.modelkit.manifest.v1+json"
	mediaTypePrefix  = "application/vnd.kitops.modelkit."
	manifestVersion  = "1.0.0"
	baseModelParam   = "baseModel"
	baseDigestParam  = "baseModelDigest"
	layerTypeModel   = "model"
	layerTypePart    = "modelpart"
	layerTypeCode    = "code"
	layerTypeDataset = "dataset"
	layerTypeDocs    = "docs"
)

// MediaType is the layer media type of a ModelKit layer type, uncompressed tar.
func MediaType(layerType string) string { return mediaTypePrefix + layerType + ".v1.tar" }

// Kitfile is a ModelKit's config: the Kitfile (kitops pkg/artifact
// KitFile, v1.7.0 fields) as JSON, each entry with its layer's digest and
// diffId. Field order is the struct's, so the bytes are deterministic.
type Kitfile struct {
	ManifestVersion string    `json:"manifestVersion"`
	Package         Package   `json:"package,omitempty"`
	Model           *Model    `json:"model,omitempty"`
	Code            []Entry   `json:"code,omitempty"`
	Datasets        []Dataset `json:"datasets,omitempty"`
	Docs            []Entry   `json:"docs,omitempty"`
}

// Package is the Kitfile's package section.
type Package struct {
	Name        string   `json:"name,omitempty"`
	Version     string   `json:"version,omitempty"`
	Description string   `json:"description,omitempty"`
	License     string   `json:"license,omitempty"`
	Authors     []string `json:"authors,omitempty"`
}

// Model is the Kitfile's model section: the main weight file, and parts
// (other weights, configs, tokenizers). Parameters name the base model of
// an adapter (baseModel, baseModelDigest).
type Model struct {
	Name       string            `json:"name,omitempty"`
	Path       string            `json:"path,omitempty"`
	License    string            `json:"license,omitempty"`
	Format     string            `json:"format,omitempty"`
	Version    string            `json:"version,omitempty"`
	Parts      []Part            `json:"parts,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
	LayerInfo
}

// Part is one model part.
type Part struct {
	Name    string `json:"name,omitempty"`
	Path    string `json:"path,omitempty"`
	License string `json:"license,omitempty"`
	Type    string `json:"type,omitempty"`
	LayerInfo
}

// Entry is a code or docs entry.
type Entry struct {
	Path    string `json:"path"`
	License string `json:"license,omitempty"`
	LayerInfo
}

// Dataset is a dataset entry.
type Dataset struct {
	Name    string `json:"name,omitempty"`
	Path    string `json:"path,omitempty"`
	License string `json:"license,omitempty"`
	LayerInfo
}

// LayerInfo ties an entry to its layer.
type LayerInfo struct {
	Digest string `json:"digest,omitempty"`
	DiffID string `json:"diffId,omitempty"`
}
