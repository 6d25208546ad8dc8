package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"
)

// Report is what Inspect found about an artifact.
type Report struct {
	Ref          string           `json:"ref"`
	Digest       string           `json:"digest"`
	Format       string           `json:"format"`
	ArtifactType string           `json:"artifactType,omitempty"`
	Kind         string           `json:"kind,omitempty"`
	ID           string           `json:"id,omitempty"`
	License      string           `json:"license,omitempty"`
	Lineage      []specv1.Lineage `json:"lineage,omitempty"`
	// LicenseSources say where License and Lineage were read, in order:
	// annotation, config, report.
	LicenseSources []string `json:"licenseSources,omitempty"`
	// LicenseMismatch says where the manifest and its license report
	// disagree.
	LicenseMismatch string            `json:"licenseMismatch,omitempty"`
	Subject         string            `json:"subject,omitempty"`
	Files           []FileReport      `json:"files"`
	Config          json.RawMessage   `json:"config,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	Referrers       []Referrer        `json:"referrers,omitempty"`
	// Warnings say what is wrong with the artifact, such as a bundle ckpt
	// published that has lost its referrers (a copy that dropped them).
	Warnings []string `json:"warnings,omitempty"`
}

// FileReport is one layer of an inspected artifact.
type FileReport struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Kind      string `json:"kind"`
}

// Referrer is a manifest attached to the inspected one.
type Referrer struct {
	Digest       string   `json:"digest"`
	ArtifactType string   `json:"artifactType"`
	Files        []string `json:"files,omitempty"`

	manifest ocispec.Manifest
}

// Inspect describes the artifact ref names: files, sizes, media types,
// config, lineage, license (from the annotations, the config, then the
// license report referrer, see Report.LicenseSources) and attached
// referrers. A reference without a tag resolves as in Pull.
func Inspect(ctx context.Context, ref Ref, opts Options) (*Report, error) {
	s, err := openSource(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	desc, err := resolve(ctx, s, ref)
	if err != nil {
		return nil, err
	}
	a, err := fetchArtifact(ctx, s, desc)
	if err != nil {
		return nil, err
	}
	m := a.Manifest
	r := &Report{Ref: ref.String(), Digest: desc.Digest.String(), Format: a.Format, ArtifactType: m.ArtifactType,
		Annotations: m.Annotations}
	if err := r.readLicense(a); err != nil {
		return nil, err
	}
	if json.Valid(a.Config) {
		r.Config = a.Config
	}
	if m.Subject != nil {
		r.Subject = m.Subject.Digest.String()
	}
	for _, f := range a.Files {
		if f.Path == "" {
			f.Path = f.Name
		}
		r.Files = append(r.Files, FileReport{Path: f.Path, Size: f.Layer.Size, MediaType: f.Layer.MediaType,
			Digest: f.Layer.Digest.String(), Kind: f.Kind})
	}
	if r.Referrers, err = referrers(ctx, s, desc); err != nil {
		return r, err
	}
	r.Warnings = lostReferrers(m, desc.Digest.String(), r.Referrers)
	for _, rf := range r.Referrers { // sorted: the smallest digest first
		if rf.ArtifactType == specv1.ArtifactTypeLicenseReport {
			return r, r.readReport(ctx, s, rf.manifest, rf.Digest)
		}
	}
	return r, nil
}

func referrers(ctx context.Context, s source, desc ocispec.Descriptor) ([]Referrer, error) {
	refs, err := registry.Referrers(ctx, s, desc, "")
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: %w", desc.Digest, err)
	}
	var out []Referrer
	for _, d := range refs {
		b, err := fetchSmall(ctx, s, d)
		if err != nil {
			return nil, fmt.Errorf("referrer: %w", err)
		}
		m, err := modelpack.ParseManifest(b)
		if err != nil {
			return nil, fmt.Errorf("referrer %s: %w", d.Digest, err)
		}
		rf := Referrer{Digest: d.Digest.String(), ArtifactType: m.ArtifactType, manifest: m}
		if rf.ArtifactType == "" {
			rf.ArtifactType = m.Config.MediaType
		}
		for _, l := range m.Layers {
			rf.Files = append(rf.Files, modelpack.LayerPath(l))
		}
		out = append(out, rf)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ArtifactType != out[j].ArtifactType {
			return out[i].ArtifactType < out[j].ArtifactType
		}
		return out[i].Digest < out[j].Digest
	})
	return out, nil
}

// lostReferrers warns when a manifest ckpt published (it has ckpt's
// license or lineage annotation) lacks the license report or provenance
// every ckpt bundle carries: a copy (skopeo, crane) that dropped them. The
// base model of an adapter bundle (an adapter names it as its base) has
// none of its own: they are the adapter's.
func lostReferrers(m ocispec.Manifest, digest string, refs []Referrer) []string {
	_, lic := m.Annotations[specv1.AnnotationLicense]
	_, lin := m.Annotations[specv1.AnnotationLineage]
	if !lic && !lin {
		return nil
	}
	for _, rf := range refs {
		if rf.manifest.Annotations[specv1.AnnotationBaseManifest] == digest {
			return nil
		}
	}
	var out []string
	for _, want := range []string{specv1.ArtifactTypeLicenseReport, specv1.ArtifactTypeProvenance} {
		found := false
		for _, rf := range refs {
			found = found || rf.ArtifactType == want
		}
		if !found {
			out = append(out, fmt.Sprintf("published by ckpt but its %s referrer is missing: copy bundles with `ckpt copy`, which keeps referrers", want))
		}
	}
	return out
}
