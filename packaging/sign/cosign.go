package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// What cosign stores, and where (cosign pkg/oci, pkg/types).
const (
	// MediaTypeSimpleSigning is the layer of a cosign signature.
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	// MediaTypeDSSE is the layer of a cosign attestation.
	MediaTypeDSSE = "application/vnd.dsse.envelope.v1+json"
	// AnnotationSignature holds a signature layer's base64 signature
	// (empty on an attestation, whose signature is inside the envelope).
	AnnotationSignature = "dev.cosignproject.cosign/signature"
	// AnnotationPredicateType names an attestation's predicate type. It is
	// a hint for readers: Verify takes the type from the signed statement.
	AnnotationPredicateType = "predicateType"
	// PayloadTypeInToto is the DSSE payload type of an in-toto statement.
	PayloadTypeInToto = "application/vnd.in-toto+json"
	// StatementType is the in-toto statement version ckpt writes.
	StatementType = "https://in-toto.io/Statement/v1"
)

// Predicate types ckpt attests.
const (
	// PredicateSLSAProvenance is SLSA provenance v1 (cosign's
	// --type slsaprovenance1).
	PredicateSLSAProvenance = "https://slsa.dev/provenance/v1"
	// PredicateLicenseReport is ckpt's license report (license.Report JSON).
	PredicateLicenseReport = "https://ckpt.dev/license-report/v1"
	// PredicateCycloneDX is a CycloneDX document, the ML-BOM (cosign's
	// --type cyclonedx).
	PredicateCycloneDX = "https://cyclonedx.org/bom"
)

// Limits on what a signature manifest may make us read.
const (
	maxEntries      = 1000    // cosign's maxLayers
	maxPayloadBytes = 8 << 20 // one signature payload or envelope
	maxManifest     = 4 << 20
)

// SignatureTag is the tag cosign keeps the signatures of d under:
// sha256-<hex>.sig.
func SignatureTag(d digest.Digest) string { return tagFor(d, "sig") }

// AttestationTag is the tag cosign keeps the attestations of d under:
// sha256-<hex>.att.
func AttestationTag(d digest.Digest) string { return tagFor(d, "att") }

func tagFor(d digest.Digest, suffix string) string {
	return d.Algorithm().String() + "-" + d.Encoded() + "." + suffix
}

// entry is one layer of a signature or attestation manifest: its payload
// (the simple-signing JSON or the DSSE envelope) and its annotations.
type entry struct {
	mediaType   string
	payload     []byte
	annotations map[string]string
}

// readEntries returns the layers of the manifest tagged tag in t, nil when
// there is none.
func readEntries(ctx context.Context, t oras.ReadOnlyTarget, tag string) ([]entry, error) {
	desc, err := t.Resolve(ctx, tag)
	if errors.Is(err, errdef.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", tag, err)
	}
	if desc.Size > maxManifest {
		return nil, fmt.Errorf("manifest %s (%s) is %d bytes, more than a signature manifest holds", tag, desc.Digest, desc.Size)
	}
	b, err := content.FetchAll(ctx, t, desc)
	if err != nil {
		return nil, fmt.Errorf("fetch %s (%s): %w", tag, desc.Digest, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s (%s): %w", tag, desc.Digest, err)
	}
	if len(m.Layers) > maxEntries {
		return nil, fmt.Errorf("manifest %s (%s) has %d layers, more than %d", tag, desc.Digest, len(m.Layers), maxEntries)
	}
	out := make([]entry, 0, len(m.Layers))
	for _, l := range m.Layers {
		if l.Size > maxPayloadBytes {
			return nil, fmt.Errorf("layer %s of %s is %d bytes, more than %d", l.Digest, tag, l.Size, maxPayloadBytes)
		}
		p, err := content.FetchAll(ctx, t, l)
		if err != nil {
			return nil, fmt.Errorf("fetch layer %s of %s: %w", l.Digest, tag, err)
		}
		out = append(out, entry{mediaType: l.MediaType, payload: p, annotations: l.Annotations})
	}
	return out, nil
}

// imageConfig is the config go-containerregistry writes for cosign's
// signature images: zero times, one history entry and one diff id per layer.
type imageConfig struct {
	Architecture string    `json:"architecture"`
	Created      string    `json:"created"`
	History      []history `json:"history"`
	OS           string    `json:"os"`
	RootFS       rootFS    `json:"rootfs"`
	Config       struct{}  `json:"config"`
}

type history struct {
	Created string `json:"created"`
}

type rootFS struct {
	Type    string          `json:"type"`
	DiffIDs []digest.Digest `json:"diff_ids"`
}

const zeroTime = "0001-01-01T00:00:00Z"

// writeEntries pushes entries as the layers of an OCI image manifest, as
// cosign lays them out, and tags it tag.
func writeEntries(ctx context.Context, t oras.Target, tag string, entries []entry) (ocispec.Descriptor, error) {
	cfg := imageConfig{Created: zeroTime, RootFS: rootFS{Type: "layers", DiffIDs: []digest.Digest{}}}
	layers := make([]ocispec.Descriptor, 0, len(entries))
	for _, e := range entries {
		d := content.NewDescriptorFromBytes(e.mediaType, e.payload)
		d.Annotations = e.annotations
		if err := pushBlob(ctx, t, d, e.payload); err != nil {
			return ocispec.Descriptor{}, err
		}
		layers = append(layers, d)
		cfg.History = append(cfg.History, history{Created: zeroTime})
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, d.Digest)
	}
	cb, err := json.Marshal(cfg)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cd := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, cb)
	if err := pushBlob(ctx, t, cd, cb); err != nil {
		return ocispec.Descriptor{}, err
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: cd, Layers: layers}
	mb, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	md := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, mb)
	if err := pushBlob(ctx, t, md, mb); err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := t.Tag(ctx, md, tag); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("tag %s as %s: %w", md.Digest, tag, err)
	}
	return md, nil
}

// pushBlob pushes b unless t has it already.
func pushBlob(ctx context.Context, t oras.Target, d ocispec.Descriptor, b []byte) error {
	ok, err := t.Exists(ctx, d)
	if err != nil {
		return fmt.Errorf("check %s: %w", d.Digest, err)
	}
	if ok {
		return nil
	}
	if err := t.Push(ctx, d, bytes.NewReader(b)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("push %s: %w", d.Digest, err)
	}
	return nil
}
