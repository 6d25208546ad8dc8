package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// maxAuditBlob bounds the manifests, configs and reports audit reads.
const maxAuditBlob = 4 << 20

// auditTarget is what audit reads from: a remote repository or an OCI
// layout.
type auditTarget interface {
	content.ReadOnlyGraphStorage
	Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error)
}

// auditBundle is what audit learns about one bundle.
type auditBundle struct {
	Digest, Format, Kind, ID, License string
	Lineage                           []specv1.Lineage
	Sources                           []string
	// Mismatch says where the manifest and the license report disagree.
	Mismatch string
}

// openAuditTarget opens REF, in the syntax of push and pull
// (remote.ParseRef): oci:DIR[:TAG|@DIGEST] or a registry reference. It
// returns the target and the tag or digest to resolve (default latest).
func openAuditTarget(ctx context.Context, ref string, plainHTTP bool) (auditTarget, string, error) {
	r, err := ckptremote.ParseRef(ref)
	if err != nil {
		return nil, "", err
	}
	reference := r.Reference
	if reference == "" {
		reference = "latest"
	}
	if r.IsLayout() {
		s, err := oci.NewFromFS(ctx, os.DirFS(r.Dir))
		if err != nil {
			return nil, "", fmt.Errorf("OCI layout %s: %w", r.Dir, err)
		}
		return s, reference, nil
	}
	repo, err := remote.NewRepository(r.Repository)
	if err != nil {
		return nil, "", fmt.Errorf("reference %q: %w", ref, err)
	}
	repo.PlainHTTP = plainHTTP
	store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("docker credentials: %w", err)
	}
	repo.Client = &auth.Client{Client: retry.DefaultClient, Cache: auth.NewCache(), Credential: credentials.Credential(store)}
	return repo, reference, nil
}

// readBundle reads the manifest, config, annotations and license report of ref.
func readBundle(ctx context.Context, ref string, plainHTTP bool) (*auditBundle, error) {
	t, reference, err := openAuditTarget(ctx, ref, plainHTTP)
	if err != nil {
		return nil, err
	}
	desc, err := t.Resolve(ctx, reference)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", ref, err)
	}
	m, err := fetchManifest(ctx, t, desc)
	if err != nil {
		return nil, err
	}
	b := &auditBundle{Digest: desc.Digest.String(), Format: modelpack.DetectFormat(m)}
	if err := b.fromManifest(ctx, t, m); err != nil {
		return nil, err
	}
	if err := b.fromReport(ctx, t, desc); err != nil {
		return nil, err
	}
	return b, nil
}

func fetchManifest(ctx context.Context, t content.Fetcher, desc ocispec.Descriptor) (ocispec.Manifest, error) {
	if desc.MediaType == ocispec.MediaTypeImageIndex {
		return ocispec.Manifest{}, fmt.Errorf("%s is an index, not a model manifest", desc.Digest)
	}
	raw, err := fetchBounded(ctx, t, desc)
	if err != nil {
		return ocispec.Manifest{}, err
	}
	m, err := modelpack.ParseManifest(raw)
	if err != nil {
		return m, fmt.Errorf("%s: %w", desc.Digest, err)
	}
	return m, nil
}

func fetchBounded(ctx context.Context, t content.Fetcher, desc ocispec.Descriptor) ([]byte, error) {
	if desc.Size > maxAuditBlob {
		return nil, fmt.Errorf("%s: %s is %d bytes, more than audit reads (%d)", desc.Digest, desc.MediaType, desc.Size, maxAuditBlob)
	}
	rc, err := t.Fetch(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	b, err := content.ReadAll(io.LimitReader(rc, maxAuditBlob+1), desc)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", desc.Digest, err)
	}
	return b, nil
}

// fromManifest reads ckpt's annotations, then the config: a ModelPack
// descriptor.licenses list (joined with AND), a ckpt artifact config, or
// what modelpack.Describe finds in KitOps and Docker configs.
func (b *auditBundle) fromManifest(ctx context.Context, t content.Fetcher, m ocispec.Manifest) error {
	if l := m.Annotations[specv1.AnnotationLicense]; l != "" {
		b.License = l
		b.Sources = append(b.Sources, "annotation")
	}
	if raw := m.Annotations[specv1.AnnotationLineage]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &b.Lineage); err != nil {
			return fmt.Errorf("manifest annotation %s: %w", specv1.AnnotationLineage, err)
		}
	}
	if m.Config.Size == 0 || m.Config.MediaType == ocispec.MediaTypeEmptyJSON {
		return nil
	}
	cfg, err := fetchBounded(ctx, t, m.Config)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return b.fromConfig(m, cfg)
}

func (b *auditBundle) fromConfig(m ocispec.Manifest, cfg []byte) error {
	license := ""
	switch {
	case m.Config.MediaType == specv1.MediaTypeModelConfig:
		var c modelpack.Config
		if err := json.Unmarshal(cfg, &c); err != nil {
			return fmt.Errorf("config %s: %w", m.Config.Digest, err)
		}
		license, b.ID = lic.And(c.Descriptor.Licenses...), c.Descriptor.Name
	case m.Config.MediaType == specv1.MediaTypeArtifactConfig:
		var md specv1.Metadata
		if err := json.Unmarshal(cfg, &md); err != nil {
			return fmt.Errorf("config %s: %w", m.Config.Digest, err)
		}
		license, b.Kind, b.ID = md.License, md.Kind, md.ID
		if b.Lineage == nil {
			b.Lineage = md.Lineage
		}
	default:
		license = modelpack.Describe(m, cfg).License
	}
	if b.License == "" && license != "" {
		b.License = license
		b.Sources = append(b.Sources, "config")
	}
	return nil
}

// fromReport reads the license report referrer, if any, for what the
// manifest did not say. With several reports, the one with the smallest
// digest is read, so that audits are repeatable.
func (b *auditBundle) fromReport(ctx context.Context, t auditTarget, subject ocispec.Descriptor) error {
	refs, err := registry.Referrers(ctx, t, subject, specv1.ArtifactTypeLicenseReport)
	if err != nil {
		return fmt.Errorf("license report referrers of %s: %w", subject.Digest, err)
	}
	if len(refs) == 0 {
		return nil
	}
	slices.SortFunc(refs, func(x, y ocispec.Descriptor) int { return strings.Compare(x.Digest.String(), y.Digest.String()) })
	r, err := readReport(ctx, t, refs[0])
	if err != nil {
		return err
	}
	b.useReport(r)
	return nil
}

func readReport(ctx context.Context, t content.Fetcher, desc ocispec.Descriptor) (*lic.Report, error) {
	m, err := fetchManifest(ctx, t, desc)
	if err != nil {
		return nil, fmt.Errorf("license report: %w", err)
	}
	for _, l := range m.Layers {
		if l.Annotations[specv1.AnnotationTitle] != "license-report.json" && l.MediaType != specv1.ArtifactTypeLicenseReport {
			continue
		}
		raw, err := fetchBounded(ctx, t, l)
		if err != nil {
			return nil, fmt.Errorf("license report: %w", err)
		}
		r, err := lic.ParseReport(raw)
		if err != nil {
			return nil, fmt.Errorf("license report %s: %w", l.Digest, err)
		}
		return r, nil
	}
	return nil, fmt.Errorf("license report %s has no license-report.json layer", desc.Digest)
}

// useReport fills what the manifest did not say from r, and notes where
// the manifest and the report disagree.
func (b *auditBundle) useReport(r *lic.Report) {
	b.Sources = append(b.Sources, "report")
	switch {
	case b.License == "":
		b.License = r.License
	case r.License != "" && r.License != b.License:
		b.Mismatch = fmt.Sprintf("the manifest says license %q, its license report %q", b.License, r.License)
	}
	if b.Lineage == nil {
		b.Lineage = r.Lineage
	}
	if b.Kind == "" {
		b.Kind = r.Kind
	}
	if b.ID == "" {
		b.ID = r.ID
	}
}
