// Package ollama writes Ollama's registry format, the one `ollama push`
// writes and `ollama pull` reads: a Docker v2 manifest whose config is
// Ollama's ConfigV2 (model_format, model_family, file_type, rootfs with
// the layers' diff_ids) and whose layers are raw files of media types
// application/vnd.ollama.image.* (model: the GGUF; adapter: a LoRA GGUF
// applied on top of the model; template: an Ollama Go template; params:
// JSON with the stop strings; license: one license text per layer), and
// installs such a manifest into an Ollama models folder.
//
// Ollama's Go templates of the Mistral instruct formats are [Template];
// [Check] proves one renders what the model's Jinja template renders.
package ollama

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// Media types of Ollama's registry format.
const (
	MediaTypeManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeConfig   = "application/vnd.docker.container.image.v1+json"
	MediaTypeModel    = "application/vnd.ollama.image.model"
	MediaTypeAdapter  = "application/vnd.ollama.image.adapter"
	MediaTypeTemplate = "application/vnd.ollama.image.template"
	MediaTypeSystem   = "application/vnd.ollama.image.system"
	MediaTypeParams   = "application/vnd.ollama.image.params"
	MediaTypeLicense  = "application/vnd.ollama.image.license"
)

// Config is Ollama's model config (server/images.go ConfigV2).
type Config struct {
	ModelFormat   string   `json:"model_format"`
	ModelFamily   string   `json:"model_family"`
	ModelFamilies []string `json:"model_families"`
	ModelType     string   `json:"model_type"`
	FileType      string   `json:"file_type"`
	Architecture  string   `json:"architecture"`
	OS            string   `json:"os"`
	RootFS        RootFS   `json:"rootfs"`
}

// RootFS lists the layers' digests.
type RootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// Manifest is a Docker v2 manifest.
type Manifest struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	Config        ocispec.Descriptor   `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
}

// Options describe one bundle.
type Options struct {
	// Model is the GGUF file of the model; required.
	Model string
	// Adapter is a LoRA GGUF applied on top of Model (optional).
	Adapter string
	// Template is the Ollama Go template; System a default system prompt.
	Template, System string
	// Stop are the params' stop strings.
	Stop []string
	// Licenses are license texts, one layer each, in order.
	Licenses [][]byte
	// Tag names the manifest in the layout's index.json.
	Tag string
}

// Build writes the bundle's blobs and manifest into l and lists the
// manifest under o.Tag. Nothing in it depends on the time or the machine.
func Build(ctx context.Context, l *modelpack.Layout, o Options) (ocispec.Descriptor, error) {
	f, err := gguf.ReadFile(o.Model)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	var layers []ocispec.Descriptor
	add := func(d ocispec.Descriptor, err error) error {
		if err == nil {
			layers = append(layers, ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size})
		}
		return err
	}
	if err := add(l.PutFile(ctx, MediaTypeModel, o.Model)); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", o.Model, err)
	}
	if o.Adapter != "" {
		if a, err := gguf.ReadFile(o.Adapter); err != nil {
			return ocispec.Descriptor{}, err
		} else if v, _ := a.Get("general.type"); v != "adapter" {
			return ocispec.Descriptor{}, fmt.Errorf("%s: not a LoRA adapter GGUF (general.type %v)", o.Adapter, v)
		}
		if err := add(l.PutFile(ctx, MediaTypeAdapter, o.Adapter)); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("%s: %w", o.Adapter, err)
		}
	}
	texts := []struct{ mt, s string }{{MediaTypeTemplate, o.Template}, {MediaTypeSystem, o.System}}
	for _, t := range texts {
		if t.s != "" {
			if err := add(l.PutBytes(t.mt, []byte(t.s))); err != nil {
				return ocispec.Descriptor{}, err
			}
		}
	}
	if len(o.Stop) > 0 {
		params, err := json.Marshal(map[string][]string{"stop": o.Stop})
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		if err := add(l.PutBytes(MediaTypeParams, params)); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	for _, lic := range o.Licenses {
		if err := add(l.PutBytes(MediaTypeLicense, lic)); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	return writeManifest(l, configOf(f, layers), layers, o.Tag)
}

func writeManifest(l *modelpack.Layout, cfg Config, layers []ocispec.Descriptor, tag string) (ocispec.Descriptor, error) {
	cb, err := json.Marshal(cfg)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cd, err := l.PutBytes(MediaTypeConfig, cb)
	if err != nil {
		return cd, err
	}
	m := Manifest{SchemaVersion: 2, MediaType: MediaTypeManifest,
		Config: ocispec.Descriptor{MediaType: MediaTypeConfig, Digest: cd.Digest, Size: cd.Size}, Layers: layers}
	mb, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	d, err := l.PutBytes(MediaTypeManifest, mb)
	if err != nil {
		return d, err
	}
	d = ocispec.Descriptor{MediaType: MediaTypeManifest, Digest: d.Digest, Size: d.Size}
	l.AddEntry(d, tag)
	return d, nil
}

// configOf is the config Ollama's create writes for model f.
func configOf(f *gguf.File, layers []ocispec.Descriptor) Config {
	arch, _ := f.Get("general.architecture")
	family, _ := arch.(string)
	var n uint64
	for _, t := range f.Tensors {
		n += t.Elements()
	}
	ids := make([]string, len(layers))
	for i, d := range layers {
		ids[i] = d.Digest.String()
	}
	return Config{ModelFormat: "gguf", ModelFamily: family, ModelFamilies: []string{family},
		ModelType: humanNumber(n), FileType: fileTypeName(f), Architecture: "amd64", OS: "linux",
		RootFS: RootFS{Type: "layers", DiffIDs: ids}}
}

// fileTypeName is general.file_type as Ollama names it (ggml.FileType).
func fileTypeName(f *gguf.File) string {
	v, _ := f.Get("general.file_type")
	ft, _ := v.(uint32)
	names := map[uint32]string{0: "F32", 1: "F16", 7: "Q8_0", 15: "Q4_K_M", 18: "Q6_K", 32: "BF16"}
	if s, ok := names[ft]; ok {
		return s
	}
	return "unknown"
}

// humanNumber is Ollama's format.HumanNumber.
func humanNumber(n uint64) string {
	f := float64(n)
	switch {
	case n >= 1e9:
		return trimmed(f/1e9, 1) + "B"
	case n >= 1e6:
		return trimmed(f/1e6, 2) + "M"
	case n >= 1e3:
		return strconv.FormatFloat(f/1e3, 'f', 0, 64) + "K"
	}
	return strconv.FormatUint(n, 10)
}

func trimmed(f float64, prec int) string {
	if f == float64(int64(f)) {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

// Layer returns the first layer of m with media type mt.
func (m Manifest) Layer(mt string) (ocispec.Descriptor, bool) {
	i := slices.IndexFunc(m.Layers, func(d ocispec.Descriptor) bool { return d.MediaType == mt })
	if i < 0 {
		return ocispec.Descriptor{}, false
	}
	return m.Layers[i], true
}
