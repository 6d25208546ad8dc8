package modelpack

import (
	"path"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/layer"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Kind is a ModelPack layer kind.
type Kind string

// ModelPack layer kinds.
const (
	KindWeight  Kind = "weight"
	KindConfig  Kind = "weight.config"
	KindDoc     Kind = "doc"
	KindCode    Kind = "code"
	KindDataset Kind = "dataset"
)

// largeUnknown is the size from which an unknown file counts as weights
// (modctl's rule).
const largeUnknown = 128 << 20

var weightExts = []string{".safetensors", ".gguf", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".npz", ".h5", ".msgpack"}

var configNames = []string{"tekken.json", "params.json", "config.json", "generation_config.json",
	"chat_template.jinja", "processor_config.json", "preprocessor_config.json",
	"special_tokens_map.json", "adapter_config.json", "added_tokens.json"}

// Classify returns the ModelPack kind of the file at rel (slash separated)
// of the given size.
func Classify(rel string, size int64) Kind {
	base := strings.ToLower(path.Base(rel))
	ext := path.Ext(base)
	switch {
	case contains(weightExts, ext):
		return KindWeight
	case contains(configNames, base), strings.HasPrefix(base, "tokenizer"),
		ext == ".jinja", ext == ".tiktoken", strings.HasSuffix(base, ".model"):
		return KindConfig
	case isDoc(base, ext):
		return KindDoc
	case ext == ".json", ext == ".yaml", ext == ".yml":
		return KindConfig
	case ext == ".jsonl", ext == ".parquet", ext == ".csv":
		return KindDataset
	case size >= largeUnknown:
		return KindWeight
	}
	return KindCode
}

func isDoc(base, ext string) bool {
	for _, p := range []string{"license", "licence", "notice", "readme", "copying", "eval-report", "license-report"} {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return ext == ".md" || ext == ".txt" || ext == ".rst" || ext == ".pdf"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// MediaType returns the layer media type of a kind in an encoding:
// application/vnd.cncf.model.<kind>.v1.<raw|tar|tar+zstd>, or ckpt's own
// float codec type.
func MediaType(k Kind, enc layer.Encoding) string {
	if enc == layer.Float {
		return floatMediaType
	}
	return "application/vnd.cncf.model." + string(k) + ".v1." + enc.String()
}

// TitleSuffix is what a layer's org.opencontainers.image.title adds to
// the file's path so that the name says what the blob is: nothing for a
// raw layer, ".tar", ".tar.zst", ".tar.gz", ".zst" or ".bplane".
func TitleSuffix(enc layer.Encoding) string {
	return [...]string{"", ".tar", ".tar.gz", ".tar.zst", ".zst", ".bplane"}[enc]
}

// layerMediaType is MediaType in the options' media type family.
func (o Options) layerMediaType(k Kind, enc layer.Encoding) string {
	mt := MediaType(k, enc)
	if o.MediaTypes == MediaTypesCNAI {
		mt = strings.Replace(mt, "application/vnd.cncf.model.", "application/vnd.cnai.model.", 1)
	}
	return mt
}

// manifestTypes returns the manifest's artifactType and config media type:
// ModelPack's (cncf or cnai names), or ckpt's float-coded model types when
// weights use the float codec, which ModelPack readers cannot decode.
func (o Options) manifestTypes() (string, string) {
	switch {
	case o.WeightCodec == CodecFloat:
		return ArtifactTypeFloatModel, MediaTypeFloatModelConfig
	case o.MediaTypes == MediaTypesCNAI:
		return MediaTypeModelManifestLegacy, MediaTypeModelConfigLegacy
	}
	return specv1.MediaTypeModelManifest, specv1.MediaTypeModelConfig
}
