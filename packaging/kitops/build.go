package kitops

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"

	"github.com/ckpt-dev/ckpt/packaging/layer"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Build writes a ModelKit of files into l and returns its manifest's
// descriptor. Of opts it reads the package fields (Name, Version,
// Description, Authors), Metadata (license, lineage: an adapter's base
// model goes into model.parameters), Subject, Tag and Annotations; codecs
// must be unset (ModelKit layers are plain tars). The first weight file is
// the model, other weights and config files are model parts (type weight
// or config), then code, datasets and docs, each sorted by path: the
// layer order kit unpack pairs with the Kitfile's entries.
func Build(ctx context.Context, l *modelpack.Layout, files []modelpack.File, opts modelpack.Options) (ocispec.Descriptor, error) {
	for _, c := range []string{opts.WeightCodec, opts.TextCodec} {
		if c != "" && c != modelpack.CodecNone {
			return ocispec.Descriptor{}, fmt.Errorf("kitops: compression %q: ModelKit layers are uncompressed tars", c)
		}
	}
	kf := newKitfile(opts)
	var layers []ocispec.Descriptor
	for _, g := range group(files) {
		d, err := tarLayer(ctx, l, g.file, g.layerType)
		if err != nil {
			return d, fmt.Errorf("kitops layer %s: %w", g.file.Path, err)
		}
		kf.add(g, LayerInfo{Digest: d.Digest.String(), DiffID: d.Digest.String()}, opts.Metadata)
		layers = append(layers, d)
	}
	cb, err := marshalJSON(kf)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("kitfile: %w", err)
	}
	cd, err := l.PutBytes(MediaTypeConfig, cb)
	if err != nil {
		return cd, err
	}
	ann, err := modelpack.Annotations(opts)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: ArtifactType, Config: cd, Layers: layers, Subject: opts.Subject, Annotations: ann}
	return l.AddManifest(m, opts.Tag)
}

// marshalJSON encodes v without HTML escaping.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// grouped is a file with its ModelKit layer type.
type grouped struct {
	file      modelpack.File
	layerType string
	partType  string
}

// group orders files as the Kitfile lists them.
func group(files []modelpack.File) []grouped {
	files = append([]modelpack.File(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	rank := map[string]int{layerTypeModel: 0, layerTypePart: 1, layerTypeCode: 2, layerTypeDataset: 3, layerTypeDocs: 4}
	var out []grouped
	haveModel := false
	for _, f := range files {
		g := grouped{file: f}
		switch modelpack.Classify(f.Path, f.Size) {
		case modelpack.KindWeight:
			g.layerType, g.partType = layerTypePart, "weight"
			if !haveModel {
				g.layerType, haveModel = layerTypeModel, true
			}
		case modelpack.KindConfig:
			g.layerType, g.partType = layerTypePart, "config"
		case modelpack.KindDoc:
			g.layerType = layerTypeDocs
		case modelpack.KindDataset:
			g.layerType = layerTypeDataset
		default:
			g.layerType = layerTypeCode
		}
		out = append(out, g)
	}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].layerType] < rank[out[j].layerType] })
	return out
}

func newKitfile(opts modelpack.Options) *Kitfile {
	kf := &Kitfile{ManifestVersion: manifestVersion, Package: Package{Name: opts.Name, Version: opts.Version,
		Description: opts.Description, Authors: opts.Authors}}
	if m := opts.Metadata; m != nil {
		kf.Package.License = m.License
	}
	return kf
}

// add lists file g, stored as layer info, in the Kitfile.
func (kf *Kitfile) add(g grouped, info LayerInfo, m *specv1.Metadata) {
	license := ""
	if m != nil {
		license = m.License
	}
	p := g.file.Path
	switch g.layerType {
	case layerTypeModel:
		kf.Model = &Model{Name: kf.Package.Name, Path: p, License: license, Format: format(p),
			Version: kf.Package.Version, Parameters: baseParams(m), LayerInfo: info}
	case layerTypePart:
		if kf.Model == nil {
			kf.Model = &Model{Name: kf.Package.Name, License: license, Parameters: baseParams(m)}
		}
		kf.Model.Parts = append(kf.Model.Parts, Part{Name: path.Base(p), Path: p, Type: g.partType, LayerInfo: info})
	case layerTypeCode:
		kf.Code = append(kf.Code, Entry{Path: p, LayerInfo: info})
	case layerTypeDataset:
		kf.Datasets = append(kf.Datasets, Dataset{Name: path.Base(p), Path: p, LayerInfo: info})
	case layerTypeDocs:
		kf.Docs = append(kf.Docs, Entry{Path: p, LayerInfo: info})
	}
}

// baseParams names the base model of an adapter (its lineage's base).
func baseParams(m *specv1.Metadata) map[string]string {
	if m == nil || m.Kind != specv1.KindAdapter {
		return nil
	}
	for _, l := range m.Lineage {
		if l.Role == "base" {
			return map[string]string{baseModelParam: l.ID, baseDigestParam: l.Digest}
		}
	}
	return nil
}

func format(p string) string {
	switch path.Ext(p) {
	case ".safetensors":
		return "safetensors"
	case ".gguf":
		return "gguf"
	}
	return ""
}

// tarLayer stores f as a deterministic tar (with its parent folders, which
// kit unpack does not create) of the given ModelKit layer type, titled
// "<path>.tar" so that oras pull writes it under a name that says what it is.
func tarLayer(ctx context.Context, l *modelpack.Layout, f modelpack.File, layerType string) (ocispec.Descriptor, error) {
	in, err := os.Open(f.Src)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer in.Close()
	d, err := l.PutStream(ctx, MediaType(layerType), func(w io.Writer) error {
		return layer.WriteTarFile(w, f.Path, int64(f.Mode), f.Size, in, layer.TarOptions{Parents: true})
	})
	d.Annotations = map[string]string{specv1.AnnotationTitle: f.Path + modelpack.TitleSuffix(layer.Tar)}
	return d, err
}
