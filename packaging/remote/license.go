package remote

import (
	"context"
	"encoding/json"
	"fmt"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Where Inspect read an artifact's license and lineage (Report.LicenseSources).
const (
	SourceAnnotation = "annotation" // ckpt's manifest annotations
	SourceConfig     = "config"     // the config: ModelPack descriptor.licenses, ckpt metadata, KitOps
	SourceReport     = "report"     // the license report referrer
)

// readLicense fills r's license, lineage, kind and id from ckpt's manifest
// annotations, then the config a describes: a ModelPack descriptor.licenses
// list (joined with AND), a ckpt artifact config, or what
// modelpack.Describe finds in KitOps and Docker configs.
func (r *Report) readLicense(a *modelpack.Artifact) error {
	m := a.Manifest
	if l := m.Annotations[specv1.AnnotationLicense]; l != "" {
		r.License = l
		r.LicenseSources = append(r.LicenseSources, SourceAnnotation)
	}
	if raw := m.Annotations[specv1.AnnotationLineage]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &r.Lineage); err != nil {
			return fmt.Errorf("manifest annotation %s: %w", specv1.AnnotationLineage, err)
		}
	}
	if len(a.Config) == 0 || m.Config.MediaType == ocispec.MediaTypeEmptyJSON {
		return nil
	}
	license := ""
	switch m.Config.MediaType {
	case specv1.MediaTypeModelConfig, modelpack.MediaTypeModelConfigLegacy, modelpack.MediaTypeFloatModelConfig:
		var c modelpack.Config
		if err := json.Unmarshal(a.Config, &c); err != nil {
			return fmt.Errorf("config %s: %w", m.Config.Digest, err)
		}
		license, r.ID = lic.And(c.Descriptor.Licenses...), c.Descriptor.Name
	case specv1.MediaTypeArtifactConfig:
		var md specv1.Metadata
		if err := json.Unmarshal(a.Config, &md); err != nil {
			return fmt.Errorf("config %s: %w", m.Config.Digest, err)
		}
		license, r.Kind, r.ID = md.License, md.Kind, md.ID
		if r.Lineage == nil {
			r.Lineage = md.Lineage
		}
	default:
		license = modelpack.Describe(m, a.Config).License
	}
	if r.License == "" && license != "" {
		r.License = license
		r.LicenseSources = append(r.LicenseSources, SourceConfig)
	}
	return nil
}

// readReport reads the license report referrer m (the one with the
// smallest digest when there are several, so that reads are repeatable)
// for what the manifest and config did not say, and notes where they
// disagree.
func (r *Report) readReport(ctx context.Context, s source, m ocispec.Manifest, digest string) error {
	rep, err := fetchReport(ctx, s, m, digest)
	if err != nil {
		return err
	}
	r.LicenseSources = append(r.LicenseSources, SourceReport)
	switch {
	case r.License == "":
		r.License = rep.License
	case rep.License != "" && rep.License != r.License:
		r.LicenseMismatch = fmt.Sprintf("the manifest says license %q, its license report %q", r.License, rep.License)
	}
	if r.Lineage == nil {
		r.Lineage = rep.Lineage
	}
	if r.Kind == "" {
		r.Kind = rep.Kind
	}
	if r.ID == "" {
		r.ID = rep.ID
	}
	return nil
}

func fetchReport(ctx context.Context, s source, m ocispec.Manifest, digest string) (*lic.Report, error) {
	for _, l := range m.Layers {
		if l.Annotations[specv1.AnnotationTitle] != "license-report.json" && l.MediaType != specv1.ArtifactTypeLicenseReport {
			continue
		}
		raw, err := fetchSmall(ctx, s, l)
		if err != nil {
			return nil, fmt.Errorf("license report: %w", err)
		}
		rep, err := lic.ParseReport(raw)
		if err != nil {
			return nil, fmt.Errorf("license report %s: %w", l.Digest, err)
		}
		return rep, nil
	}
	return nil, fmt.Errorf("license report %s has no license-report.json layer", digest)
}

// Metadata is the license-relevant part of the inspected artifact (kind,
// id, license, lineage), as license checks read it.
func (r *Report) Metadata() *specv1.Metadata {
	return &specv1.Metadata{Kind: r.Kind, ID: r.ID, License: r.License, Lineage: r.Lineage}
}
