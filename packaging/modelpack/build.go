package modelpack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/layer"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// Codec names accepted by Options.
const (
	CodecNone  = "none"
	CodecTar   = "tar"
	CodecZstd  = "zstd"
	CodecFloat = "float"
)

// Media type families accepted by Options.MediaTypes.
const (
	MediaTypesCNCF = "cncf" // application/vnd.cncf.model.* (default)
	MediaTypesCNAI = "cnai" // the legacy application/vnd.cnai.model.* (modctl v0.2.2 writes them)
)

// File is one file of a model: its slash-separated path in the bundle and
// where it is on disk.
type File struct {
	Path string
	Src  string
	Mode os.FileMode
	Size int64
}

// Options describe a ModelPack manifest. The zero value packs every file raw
// and untagged.
type Options struct {
	Name, Version, Description string
	Authors                    []string
	// WeightCodec encodes weight files: none (default), tar (a ModelPack
	// .tar layer), zstd (.tar+zstd) or float (ckpt's byte-plane codec,
	// which makes the manifest a ckpt float-coded model, not ModelPack).
	WeightCodec string
	// TextCodec encodes every other file: none (default), tar or zstd.
	TextCodec string
	// MediaTypes is the media type family: cncf (default) or cnai.
	MediaTypes string
	// Metadata gives the license, lineage, dtype and architecture.
	Metadata *specv1.Metadata
	// Subject makes the manifest a referrer of another (an adapter of its base).
	Subject *ocispec.Descriptor
	// Tag names the manifest in index.json.
	Tag string
	// Annotations are extra manifest annotations.
	Annotations map[string]string
	// Concurrency is how many files are encoded at once (default 2).
	Concurrency int
	// Progress, when set, is called after each file with done and total bytes.
	Progress func(done, total int64)
}

// Build writes one layer per file, the config and the ModelPack manifest
// into l and returns the manifest's descriptor. Files are sorted by path.
func Build(ctx context.Context, l *Layout, files []File, opts Options) (ocispec.Descriptor, error) {
	if err := opts.check(); err != nil {
		return ocispec.Descriptor{}, err
	}
	files = append([]File(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	layers, diffIDs, err := buildLayers(ctx, l, files, opts)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cfg := NewConfig(opts.Metadata, opts, formatOf(files))
	cfg.ModelFS.DiffIDs = diffIDs
	cb, err := marshalJSON(cfg)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("model config: %w", err)
	}
	artifactType, configType := opts.manifestTypes()
	cd, err := l.PutBytes(configType, cb)
	if err != nil {
		return cd, err
	}
	ann, err := Annotations(opts)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	m := ocispec.Manifest{Versioned: specsVersioned(), MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType, Config: cd, Layers: layers,
		Subject: opts.Subject, Annotations: ann}
	return l.AddManifest(m, opts.Tag)
}

func (o Options) check() error {
	switch o.WeightCodec {
	case "", CodecNone, CodecTar, CodecZstd, CodecFloat:
	default:
		return fmt.Errorf("compression %q: want none, tar, zstd or float", o.WeightCodec)
	}
	switch o.TextCodec {
	case "", CodecNone, CodecTar, CodecZstd:
	default:
		return fmt.Errorf("text_compression %q: want none, tar or zstd", o.TextCodec)
	}
	switch o.MediaTypes {
	case "", MediaTypesCNCF, MediaTypesCNAI:
	default:
		return fmt.Errorf("media_types %q: want cncf or cnai", o.MediaTypes)
	}
	if o.WeightCodec == CodecFloat {
		if _, err := floatDType(o.Metadata); err != nil {
			return err
		}
	}
	return nil
}

func floatDType(m *specv1.Metadata) (layer.DType, error) {
	dt := ""
	if m != nil {
		dt = strings.ToLower(m.DType)
	}
	switch dt {
	case "", "bf16", "bfloat16":
		return layer.BF16, nil
	case "fp16", "f16", "float16":
		return layer.FP16, nil
	}
	return 0, fmt.Errorf("compression float: dtype %q: want bf16 or fp16", dt)
}

// Annotations are the manifest annotations of a bundle described by opts:
// its extra annotations, ckpt's license and lineage, and the base
// manifest of an adapter (Subject).
func Annotations(opts Options) (map[string]string, error) {
	ann := map[string]string{}
	for k, v := range opts.Annotations {
		ann[k] = v
	}
	if m := opts.Metadata; m != nil {
		if m.License != "" {
			ann[specv1.AnnotationLicense] = m.License
		}
		if len(m.Lineage) > 0 {
			b, err := marshalJSON(m.Lineage)
			if err != nil {
				return nil, fmt.Errorf("lineage: %w", err)
			}
			ann[specv1.AnnotationLineage] = string(b)
		}
	}
	if opts.Subject != nil {
		ann[specv1.AnnotationBaseManifest] = opts.Subject.Digest.String()
	}
	if len(ann) == 0 {
		return nil, nil
	}
	return ann, nil
}

func buildLayers(ctx context.Context, l *Layout, files []File, opts Options) ([]ocispec.Descriptor, []string, error) {
	layers := make([]ocispec.Descriptor, len(files))
	diffIDs := make([]string, len(files))
	var total, done int64
	for _, f := range files {
		total += f.Size
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(opts.Concurrency, 2))
	progress := make(chan int64, len(files))
	for i, f := range files {
		g.Go(func() error {
			d, diff, err := buildLayer(gctx, l, f, opts)
			if err != nil {
				return fmt.Errorf("layer %s: %w", f.Path, err)
			}
			layers[i], diffIDs[i] = d, diff.String()
			progress <- f.Size
			return nil
		})
	}
	err := g.Wait()
	close(progress)
	for n := range progress {
		done += n
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	return layers, diffIDs, err
}

func buildLayer(ctx context.Context, l *Layout, f File, opts Options) (ocispec.Descriptor, digest.Digest, error) {
	kind := Classify(f.Path, f.Size)
	enc := layer.Raw
	codec := opts.TextCodec
	if kind == KindWeight {
		codec = opts.WeightCodec
	}
	switch codec {
	case CodecTar:
		enc = layer.Tar
	case CodecZstd:
		enc = layer.TarZstd
	case CodecFloat:
		enc = layer.Float
	}
	d, diff, err := encodeLayer(ctx, l, f, enc, opts)
	if err != nil {
		return d, diff, err
	}
	d.MediaType = opts.layerMediaType(kind, enc)
	d.Annotations, err = layerAnnotations(f, enc, opts.MediaTypes == MediaTypesCNAI)
	return d, diff, err
}

func encodeLayer(ctx context.Context, l *Layout, f File, enc layer.Encoding, opts Options) (ocispec.Descriptor, digest.Digest, error) {
	if enc == layer.Raw {
		d, err := l.PutFile(ctx, "", f.Src)
		return d, d.Digest, err
	}
	in, err := os.Open(f.Src)
	if err != nil {
		return ocispec.Descriptor{}, "", err
	}
	defer in.Close()
	h := sha256.New()
	d, err := l.PutStream(ctx, "", func(w io.Writer) error {
		if enc == layer.Float {
			dt, _ := floatDType(opts.Metadata)
			_, err := layer.EncodeFloat(ctx, w, io.TeeReader(in, h), layer.FloatOptions{DType: dt})
			return err
		}
		if enc == layer.Tar {
			return layer.WriteTarFile(io.MultiWriter(w, h), f.Path, int64(f.Mode), f.Size, in, layer.TarOptions{})
		}
		zw, err := layer.NewZstdWriter(w)
		if err != nil {
			return err
		}
		if err := layer.WriteTarFile(io.MultiWriter(zw, h), f.Path, int64(f.Mode), f.Size, in, layer.TarOptions{}); err != nil {
			zw.Close()
			return err
		}
		return zw.Close()
	})
	return d, digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil))), err
}

// fileMetadata is ModelPack's org.cncf.model.file.metadata+json, sanitised.
type fileMetadata struct {
	Name     string `json:"name"`
	Mode     uint32 `json:"mode"`
	UID      uint32 `json:"uid"`
	GID      uint32 `json:"gid"`
	Size     int64  `json:"size"`
	ModTime  string `json:"mtime"`
	Typeflag byte   `json:"typeflag"`
}

// layerAnnotations names a layer: org.cncf.model.filepath (or the legacy
// org.cnai.model.filepath) is the file's path; the title, which oras pull
// writes the blob under, is that path only for a raw layer, else the path
// with the extension of what the blob is (".tar", ".tar.zst", ".bplane").
func layerAnnotations(f File, enc layer.Encoding, cnai bool) (map[string]string, error) {
	mode := uint32(0o644)
	if f.Mode&0o111 != 0 {
		mode = 0o755
	}
	md, err := marshalJSON(fileMetadata{Name: path.Base(f.Path), Mode: mode, Size: f.Size,
		ModTime: "1970-01-01T00:00:00Z", Typeflag: '0'})
	if err != nil {
		return nil, err
	}
	pathKey, mdKey := specv1.AnnotationFilepath, specv1.AnnotationFileMetadata
	if cnai {
		pathKey, mdKey = specv1.AnnotationFilepathLegacy, annotationFileMetadataLegacy
	}
	ann := map[string]string{
		specv1.AnnotationTitle: f.Path + TitleSuffix(enc),
		pathKey:                f.Path,
		mdKey:                  string(md),
	}
	switch enc {
	case layer.TarZstd:
		ann[specv1.AnnotationCodec] = "zstd;level=" + layer.ZstdLevel.String() + ";all-literal-entropy"
	case layer.Float:
		ann[specv1.AnnotationCodec] = layer.FloatCodecName
	}
	return ann, nil
}

func formatOf(files []File) string {
	for _, f := range files {
		switch path.Ext(f.Path) {
		case ".safetensors":
			return "safetensors"
		case ".gguf":
			return "gguf"
		case ".onnx":
			return "onnx"
		case ".pt", ".pth", ".bin":
			return "pt"
		}
	}
	return ""
}

func specsVersioned() specs.Versioned { return specs.Versioned{SchemaVersion: 2} }
