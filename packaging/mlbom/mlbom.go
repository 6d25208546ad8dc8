package mlbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	"github.com/google/uuid"
	"github.com/opencontainers/go-digest"
)

// MediaType is the media type of the document (the referrer's artifactType).
const MediaType = "application/vnd.cyclonedx+json"

// Property names ckpt adds (CycloneDX property taxonomy: a namespace prefix).
const (
	PropDigest    = "ckpt:artifact-digest" // an input's artifact (manifest) digest
	PropStep      = "ckpt:step"            // the step that produced an input
	PropRole      = "ckpt:role"            // base, adapter or dataset
	PropMediaType = "ckpt:media-type"      // a file's layer media type
	PropDType     = "ckpt:dtype"           // the model's dominant dtype
	PropFormat    = "ckpt:format"          // mistral or hf
	PropSize      = "ckpt:size"            // a file's size in bytes
)

// File is one file of the bundle: its path in the bundle and the digest
// and size of the layer that holds it (uncompressed: .raw layers).
type File struct {
	Path      string
	Digest    digest.Digest
	Size      int64
	MediaType string
}

// Eval is one eval result of the model: the eval step, a metric and its
// value, as the eval reported them.
type Eval struct {
	Step   string
	Metric string
	Value  string
}

// Input is what the ML-BOM describes.
type Input struct {
	// Name is the bundle's name (e.g. support-assistant); Metadata.ID when empty.
	Name    string
	Version string
	// Repository and Manifest name the pushed bundle (optional): they give
	// the model's package URL, pkg:oci/NAME@DIGEST?repository_url=REPO.
	Repository string
	Manifest   digest.Digest
	Metadata   *specv1.Metadata
	Files      []File
	Evals      []Eval
	// Tool is the ckpt version that wrote the document ("" leaves it out).
	Tool string
}

// New builds the ML-BOM of in.
func New(in Input) (*cdx.BOM, error) {
	if in.Metadata == nil {
		return nil, fmt.Errorf("ML-BOM: no artifact metadata")
	}
	name := in.Name
	if name == "" {
		name = in.Metadata.ID
	}
	if name == "" {
		return nil, fmt.Errorf("ML-BOM: the model has neither a name nor an id")
	}
	files, err := fileComponents(in.Files)
	if err != nil {
		return nil, err
	}
	inputs, deps := lineageComponents(in.Metadata.Lineage)
	model := modelComponent(in, name)
	model.Components = &files
	model.ModelCard = modelCard(in, deps)
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	bom.Metadata = &cdx.Metadata{Component: model}
	if in.Tool != "" {
		bom.Metadata.Tools = &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "ckpt", Version: in.Tool}}}
	}
	if len(inputs) > 0 {
		bom.Components = &inputs
		refs := make([]string, 0, len(inputs))
		for _, c := range inputs {
			refs = append(refs, c.BOMRef)
		}
		bom.Dependencies = &[]cdx.Dependency{{Ref: model.BOMRef, Dependencies: &refs}}
	}
	serial, err := serialNumber(bom)
	if err != nil {
		return nil, err
	}
	bom.SerialNumber = serial
	return bom, nil
}

// JSON encodes in's ML-BOM as CycloneDX 1.6 JSON, indented, ending in a
// newline.
func JSON(in Input) ([]byte, error) {
	bom, err := New(in)
	if err != nil {
		return nil, err
	}
	return encode(bom)
}

func encode(bom *cdx.BOM) ([]byte, error) {
	var b bytes.Buffer
	enc := cdx.NewBOMEncoder(&b, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("encode ML-BOM: %w", err)
	}
	return b.Bytes(), nil
}

// serialNumber derives the document's urn:uuid from its content: a
// name-based (SHA-1, version 5) UUID of the document without the serial.
func serialNumber(bom *cdx.BOM) (string, error) {
	b, err := encode(bom)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return uuid.NewSHA1(uuid.NameSpaceOID, append([]byte("ckpt-mlbom:"), sum[:]...)).URN(), nil
}

func modelComponent(in Input, name string) *cdx.Component {
	m := in.Metadata
	c := &cdx.Component{BOMRef: "model", Type: cdx.ComponentTypeMachineLearningModel,
		Name: name, Version: in.Version, Licenses: licenses(m.License)}
	if in.Manifest != "" {
		c.PackageURL = purl(name, in.Version, in.Repository, in.Manifest)
	}
	var props []cdx.Property
	if m.DType != "" {
		props = append(props, cdx.Property{Name: PropDType, Value: m.DType})
	}
	if m.Format != "" {
		props = append(props, cdx.Property{Name: PropFormat, Value: m.Format})
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

// purl is the model's OCI package URL (purl-spec's oci type).
func purl(name, version, repo string, d digest.Digest) string {
	base := name
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		base = repo[i+1:]
	}
	p := "pkg:oci/" + url.PathEscape(strings.ToLower(base)) + "@" + strings.ReplaceAll(d.String(), ":", "%3A")
	var q []string
	if repo != "" {
		q = append(q, "repository_url="+url.QueryEscape(repo))
	}
	if version != "" {
		q = append(q, "tag="+url.QueryEscape(version))
	}
	if len(q) > 0 {
		p += "?" + strings.Join(q, "&")
	}
	return p
}

func licenses(expr string) *cdx.Licenses {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil
	}
	return &cdx.Licenses{{Expression: expr}}
}

func modelCard(in Input, deps []lineageRef) *cdx.MLModelCard {
	mc := &cdx.MLModelCard{BOMRef: "model-card"}
	params := &cdx.MLModelParameters{ArchitectureFamily: in.Metadata.Architecture,
		Inputs: &[]cdx.MLInputOutputParameters{{Format: "text"}}, Outputs: &[]cdx.MLInputOutputParameters{{Format: "text"}}}
	var ds []cdx.MLDatasetChoice
	for _, d := range deps {
		if d.role == "dataset" {
			ds = append(ds, cdx.MLDatasetChoice{Ref: d.ref})
		}
	}
	if len(ds) > 0 {
		params.Datasets = &ds
	}
	mc.ModelParameters = params
	evals := append([]Eval(nil), in.Evals...)
	sort.SliceStable(evals, func(i, j int) bool {
		if evals[i].Step != evals[j].Step {
			return evals[i].Step < evals[j].Step
		}
		return evals[i].Metric < evals[j].Metric
	})
	var pm []cdx.MLPerformanceMetric
	for _, e := range evals {
		pm = append(pm, cdx.MLPerformanceMetric{Type: e.Metric, Value: e.Value, Slice: e.Step})
	}
	if len(pm) > 0 {
		mc.QuantitativeAnalysis = &cdx.MLQuantitativeAnalysis{PerformanceMetrics: &pm}
	}
	return mc
}

// fileComponents lists the bundle's files, sorted by path, each with its
// SHA-256.
func fileComponents(files []File) ([]cdx.Component, error) {
	fs := append([]File(nil), files...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
	out := make([]cdx.Component, 0, len(fs))
	for i, f := range fs {
		if f.Path == "" {
			return nil, fmt.Errorf("ML-BOM: a file (layer %s) has no path", f.Digest)
		}
		if i > 0 && fs[i-1].Path == f.Path {
			return nil, fmt.Errorf("ML-BOM: file %s is listed twice", f.Path)
		}
		if err := f.Digest.Validate(); err != nil || f.Digest.Algorithm() != digest.SHA256 {
			return nil, fmt.Errorf("ML-BOM: file %s: %q is not a sha256 digest", f.Path, f.Digest)
		}
		c := cdx.Component{BOMRef: "file:" + f.Path, Type: cdx.ComponentTypeFile, Name: f.Path,
			Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: f.Digest.Encoded()}}}
		props := []cdx.Property{{Name: PropSize, Value: strconv.FormatInt(f.Size, 10)}}
		if f.MediaType != "" {
			props = append(props, cdx.Property{Name: PropMediaType, Value: f.MediaType})
		}
		c.Properties = &props
		out = append(out, c)
	}
	return out, nil
}

// lineageRef is the bom-ref and role of one input.
type lineageRef struct{ ref, role string }

// lineageComponents turns the lineage into components: base models and
// adapters as machine-learning-model, datasets as data. Repeated inputs
// (same role and digest or id) appear once, in lineage order.
func lineageComponents(ls []specv1.Lineage) ([]cdx.Component, []lineageRef) {
	var out []cdx.Component
	var refs []lineageRef
	seen := map[string]bool{}
	for i, l := range ls {
		key := l.Digest
		if key == "" {
			key = l.ID
		}
		if key == "" {
			key = strconv.Itoa(i)
		}
		ref := l.Role + ":" + key
		if seen[ref] {
			continue
		}
		seen[ref] = true
		name := l.ID
		if name == "" {
			name = l.Step
		}
		if name == "" {
			name = key
		}
		c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeMachineLearningModel, Name: name, Licenses: licenses(l.License)}
		if l.Role == "dataset" {
			c.Type = cdx.ComponentTypeData
			c.Data = &[]cdx.ComponentData{{Type: cdx.ComponentDataTypeDataset, Name: name}}
		}
		props := []cdx.Property{{Name: PropRole, Value: l.Role}}
		if l.Digest != "" {
			props = append(props, cdx.Property{Name: PropDigest, Value: l.Digest})
		}
		if l.Step != "" {
			props = append(props, cdx.Property{Name: PropStep, Value: l.Step})
		}
		c.Properties = &props
		out = append(out, c)
		refs = append(refs, lineageRef{ref: ref, role: l.Role})
	}
	return out, refs
}

// Files returns the file list the document records (path → sha256 digest),
// for a reader checking it against a manifest.
func Files(doc []byte) (map[string]digest.Digest, error) {
	var bom cdx.BOM
	if err := json.Unmarshal(doc, &bom); err != nil {
		return nil, fmt.Errorf("ML-BOM: %w", err)
	}
	if bom.Metadata == nil || bom.Metadata.Component == nil || bom.Metadata.Component.Components == nil {
		return nil, fmt.Errorf("ML-BOM: no model component with files")
	}
	out := map[string]digest.Digest{}
	for _, c := range *bom.Metadata.Component.Components {
		if c.Type != cdx.ComponentTypeFile || c.Hashes == nil {
			continue
		}
		for _, h := range *c.Hashes {
			if h.Algorithm == cdx.HashAlgoSHA256 {
				out[c.Name] = digest.NewDigestFromEncoded(digest.SHA256, h.Value)
			}
		}
	}
	return out, nil
}
