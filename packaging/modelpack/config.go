package modelpack

import (
	"strings"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// floatMediaType is ckpt's float codec layer type.
const floatMediaType = specv1.MediaTypeWeightFloat

// ckpt's float-coded model: a manifest shaped as ModelPack (same config
// JSON, same layers but for the float-coded weights) under its own types,
// so that no ModelPack reader takes it for one it can read.
const (
	ArtifactTypeFloatModel    = "application/vnd.ckpt.model.float.manifest.v1+json"
	MediaTypeFloatModelConfig = "application/vnd.ckpt.model.float.config.v1+json"
)

// Legacy pre-CNCF ModelPack names (media_types = "cnai").
const (
	MediaTypeModelManifestLegacy = "application/vnd.cnai.model.manifest.v1+json"
	MediaTypeModelConfigLegacy   = "application/vnd.cnai.model.config.v1+json"
	annotationFileMetadataLegacy = "org.cnai.model.file.metadata+json"
)

// Config is the ModelPack model config (application/vnd.cncf.model.config.v1+json)
// restricted to the fields valid in both model-spec v0.0.7 and main: no
// descriptor.datasetsURL, no capabilities.embedding, no createdAt (it would
// break reproducibility).
type Config struct {
	Descriptor Descriptor  `json:"descriptor"`
	Config     ModelConfig `json:"config"`
	ModelFS    ModelFS     `json:"modelfs"`
}

// Descriptor is the config's descriptor object.
type Descriptor struct {
	Authors     []string `json:"authors,omitempty"`
	Vendor      string   `json:"vendor,omitempty"`
	Family      string   `json:"family,omitempty"`
	Name        string   `json:"name,omitempty"`
	Version     string   `json:"version,omitempty"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	DocURL      string   `json:"docURL,omitempty"`
	SourceURL   string   `json:"sourceURL,omitempty"`
	Revision    string   `json:"revision,omitempty"`
	Licenses    []string `json:"licenses,omitempty"`
}

// ModelConfig is the config's config object.
type ModelConfig struct {
	Architecture string        `json:"architecture,omitempty"`
	Format       string        `json:"format,omitempty"`
	ParamSize    string        `json:"paramSize,omitempty"`
	Precision    string        `json:"precision,omitempty"`
	Quantization string        `json:"quantization,omitempty"`
	Capabilities *Capabilities `json:"capabilities,omitempty"`
}

// Capabilities lists what the model does (v0.0.7 ∩ main fields only).
type Capabilities struct {
	InputTypes  []string `json:"inputTypes,omitempty"`
	OutputTypes []string `json:"outputTypes,omitempty"`
	ToolUsage   *bool    `json:"toolUsage,omitempty"`
	Reasoning   *bool    `json:"reasoning,omitempty"`
}

// ModelFS lists the layers' uncompressed digests, in layer order.
type ModelFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diffIds"`
}

// precisions maps ckpt dtypes to ModelPack precision names.
var precisions = map[string]string{"bf16": "bfloat16", "fp16": "float16", "fp32": "float32",
	"f16": "float16", "f32": "float32", "fp8": "float8_e4m3"}

// NewConfig returns the config of a model described by m and opts, before
// its diffIds are filled in.
func NewConfig(m *specv1.Metadata, opts Options, format string) Config {
	c := Config{
		Descriptor: Descriptor{Authors: opts.Authors, Name: opts.Name, Version: opts.Version,
			Description: opts.Description},
		ModelFS: ModelFS{Type: "layers"},
	}
	if m == nil {
		return c
	}
	c.Descriptor.Family = m.Architecture
	if m.License != "" {
		c.Descriptor.Licenses = []string{m.License}
	}
	c.Config = ModelConfig{Architecture: m.Architecture, Format: format}
	if p, ok := precisions[strings.ToLower(m.DType)]; ok {
		c.Config.Precision = p
	} else {
		c.Config.Precision = m.DType
	}
	return c
}
