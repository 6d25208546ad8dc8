package sign

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/ckpt-dev/ckpt/packaging/mlbom"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"
)

// Bundle signs the manifest subject names in t and attests, with the same
// key, what its referrers hold: the SLSA provenance (the predicate of the
// in-toto statement ckpt attaches), the license report and the CycloneDX
// ML-BOM. A provenance statement or license report about another manifest
// is refused. Bundle returns the predicate types it attested, sorted.
func Bundle(ctx context.Context, t oras.GraphTarget, subject Subject, s *Signer) ([]string, error) {
	desc, err := t.Resolve(ctx, subject.Digest.String())
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", subject.Digest, err)
	}
	preds, err := referrerPredicates(ctx, t, desc)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", subject.Digest, err)
	}
	if _, err := Sign(ctx, t, subject, s); err != nil {
		return nil, err
	}
	types := make([]string, 0, len(preds))
	for _, p := range preds {
		types = append(types, p.Type)
	}
	sort.Strings(types)
	if len(preds) == 0 {
		return types, nil
	}
	if _, err := Attest(ctx, t, subject, s, preds...); err != nil {
		return nil, err
	}
	return types, nil
}

// referrerPredicates reads the predicates Bundle attests from the
// referrers of desc.
func referrerPredicates(ctx context.Context, t oras.ReadOnlyGraphTarget, desc ocispec.Descriptor) ([]Predicate, error) {
	refs, err := registry.Referrers(ctx, t, desc, "")
	if err != nil {
		return nil, fmt.Errorf("referrers: %w", err)
	}
	byType := map[string]Predicate{}
	for _, r := range refs {
		m, err := fetchManifest(ctx, t, r)
		if err != nil {
			return nil, err
		}
		p, ok, err := predicateOf(ctx, t, m, desc.Digest)
		if err != nil {
			return nil, fmt.Errorf("referrer %s: %w", r.Digest, err)
		}
		if ok {
			if _, dup := byType[p.Type]; dup {
				return nil, fmt.Errorf("two referrers hold a %s", p.Type)
			}
			byType[p.Type] = p
		}
	}
	out := make([]Predicate, 0, len(byType))
	for _, p := range byType {
		out = append(out, p)
	}
	return sortedPredicates(out), nil
}

func fetchManifest(ctx context.Context, t oras.ReadOnlyTarget, d ocispec.Descriptor) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	if d.Size > maxManifest {
		return m, fmt.Errorf("referrer %s is %d bytes, too large for a manifest", d.Digest, d.Size)
	}
	b, err := content.FetchAll(ctx, t, d)
	if err != nil {
		return m, fmt.Errorf("referrer %s: %w", d.Digest, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("referrer %s: %w", d.Digest, err)
	}
	return m, nil
}

// predicateOf returns the predicate a referrer manifest holds, if it is
// one Bundle attests.
func predicateOf(ctx context.Context, t oras.ReadOnlyTarget, m ocispec.Manifest, subject digest.Digest) (Predicate, bool, error) {
	var typ string
	switch m.ArtifactType {
	case specv1.ArtifactTypeProvenance, specv1.ArtifactTypeLicenseReport:
		typ = m.ArtifactType
	case mlbom.MediaType:
		typ = PredicateCycloneDX
	default:
		return Predicate{}, false, nil
	}
	if len(m.Layers) == 0 || m.Layers[0].Size > maxPayloadBytes {
		return Predicate{}, false, fmt.Errorf("%s: no layer, or too large", m.ArtifactType)
	}
	b, err := content.FetchAll(ctx, t, m.Layers[0]) // the JSON report comes first
	if err != nil {
		return Predicate{}, false, err
	}
	switch typ {
	case specv1.ArtifactTypeProvenance:
		var st statement
		if err := json.Unmarshal(b, &st); err != nil {
			return Predicate{}, false, fmt.Errorf("provenance: %w", err)
		}
		if !namesDigest(st, subject) {
			return Predicate{}, false, fmt.Errorf("the provenance is about another manifest than %s", subject)
		}
		return Predicate{Type: st.PredicateType, JSON: st.Predicate}, true, nil
	case specv1.ArtifactTypeLicenseReport:
		var r struct {
			Subject string `json:"subject"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return Predicate{}, false, fmt.Errorf("license report: %w", err)
		}
		if r.Subject != "" && r.Subject != subject.String() {
			return Predicate{}, false, fmt.Errorf("the license report is about %s, not %s", r.Subject, subject)
		}
		return Predicate{Type: PredicateLicenseReport, JSON: b}, true, nil
	}
	return Predicate{Type: typ, JSON: b}, true, nil
}
