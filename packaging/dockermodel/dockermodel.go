// Package dockermodel writes Docker Model Runner's model artifact (config
// application/vnd.docker.ai.model.config.v0.1+json, the one `docker model
// pull` reads): an OCI manifest whose layers are the GGUF
// (application/vnd.docker.ai.gguf.v3), a LoRA GGUF applied on top
// (….gguf.v3.lora), the license texts (…ai.license) and the Jinja chat
// template (…ai.chat.template.jinja), each one raw file. Nothing depends
// on the time: the descriptor has no created time.
package dockermodel

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// Media types of Docker Model Runner's format.
const (
	MediaTypeConfig       = "application/vnd.docker.ai.model.config.v0.1+json"
	MediaTypeGGUF         = "application/vnd.docker.ai.gguf.v3"
	MediaTypeLoRA         = "application/vnd.docker.ai.gguf.v3.lora"
	MediaTypeLicense      = "application/vnd.docker.ai.license"
	MediaTypeChatTemplate = "application/vnd.docker.ai.chat.template.jinja"
	// AnnotationFilePath names a layer's file.
	AnnotationFilePath = "org.cncf.model.filepath"
)

// ConfigFile is the config blob (model-runner pkg/distribution/types).
type ConfigFile struct {
	Config     Config            `json:"config"`
	Descriptor map[string]string `json:"descriptor"`
	RootFS     RootFS            `json:"rootfs"`
}

// Config describes the model.
type Config struct {
	Format       string            `json:"format,omitempty"`
	Quantization string            `json:"quantization,omitempty"`
	Parameters   string            `json:"parameters,omitempty"`
	Architecture string            `json:"architecture,omitempty"`
	Size         string            `json:"size,omitempty"`
	GGUF         map[string]string `json:"gguf,omitempty"`
}

// RootFS lists the layers' diff ids.
type RootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// File is a file to pack: its path and its name in the artifact.
type File struct{ Src, Name string }

// Options describe one artifact.
type Options struct {
	// Model is the GGUF; required. Adapter is a LoRA GGUF (optional).
	Model, Adapter File
	// Licenses are license files, one layer each.
	Licenses []File
	// Tag names the manifest in the layout's index.json.
	Tag string
}

// Build writes the artifact into l; the chat template is the GGUF's
// tokenizer.chat_template.
func Build(ctx context.Context, l *modelpack.Layout, o Options) (ocispec.Descriptor, error) {
	f, err := gguf.ReadFile(o.Model.Src)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	var layers []ocispec.Descriptor
	add := func(name string) func(ocispec.Descriptor, error) error {
		return func(d ocispec.Descriptor, err error) error {
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			layers = append(layers, ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size,
				Annotations: map[string]string{AnnotationFilePath: name}})
			return nil
		}
	}
	if err := add(o.Model.Name)(l.PutFile(ctx, MediaTypeGGUF, o.Model.Src)); err != nil {
		return ocispec.Descriptor{}, err
	}
	if o.Adapter.Src != "" {
		if err := add(o.Adapter.Name)(l.PutFile(ctx, MediaTypeLoRA, o.Adapter.Src)); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	for _, lf := range o.Licenses {
		if err := add(lf.Name)(l.PutFile(ctx, MediaTypeLicense, lf.Src)); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	if v, ok := f.Get("tokenizer.chat_template"); ok {
		if s, _ := v.(string); s != "" {
			if err := add("template.jinja")(l.PutBytes(MediaTypeChatTemplate, []byte(s))); err != nil {
				return ocispec.Descriptor{}, err
			}
		}
	}
	cb, err := json.Marshal(configOf(f, layers))
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cd, err := l.PutBytes(MediaTypeConfig, cb)
	if err != nil {
		return cd, err
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: MediaTypeConfig, Digest: cd.Digest, Size: cd.Size}, Layers: layers}
	return l.AddManifest(m, o.Tag)
}

func configOf(f *gguf.File, layers []ocispec.Descriptor) ConfigFile {
	var n uint64
	for _, t := range f.Tensors {
		n += t.Elements()
	}
	str := func(k string) string {
		v, _ := f.Get(k)
		s, _ := v.(string)
		return s
	}
	meta := map[string]string{}
	for _, k := range []string{"general.architecture", "general.name", "general.license", "general.type"} {
		if s := str(k); s != "" {
			meta[k] = s
		}
	}
	ids := make([]string, len(layers))
	for i, d := range layers {
		ids[i] = d.Digest.String()
	}
	return ConfigFile{
		Config: Config{Format: "gguf", Quantization: quantization(f), Parameters: human(float64(n), ""),
			Architecture: str("general.architecture"), Size: human(float64(f.Size), "B"), GGUF: meta},
		Descriptor: map[string]string{},
		RootFS:     RootFS{Type: "rootfs", DiffIDs: ids},
	}
}

func quantization(f *gguf.File) string {
	v, _ := f.Get("general.file_type")
	ft, _ := v.(uint32)
	names := map[uint32]string{0: "F32", 1: "F16", 7: "Q8_0", 15: "Q4_K_M", 18: "Q6_K", 32: "BF16"}
	if s, ok := names[ft]; ok {
		return s
	}
	return ""
}

// human is "16.78M" (unit "") or "256.35MB" (unit "B").
func human(v float64, unit string) string {
	for _, p := range []string{"", "K", "M", "G", "T"} {
		if v < 1000 || p == "T" {
			return strconv.FormatFloat(v, 'f', 2, 64) + p + unit
		}
		v /= 1000
	}
	return ""
}
