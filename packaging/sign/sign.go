package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"oras.land/oras-go/v2"
)

// Subject is what is signed: a manifest digest, and the repository it was
// pushed to (registry/namespace/name, no tag), which cosign records as the
// signature's claimed identity and as the attestation subject's name. Name
// may be empty (an OCI layout folder has none).
type Subject struct {
	Name   string
	Digest digest.Digest
}

// Predicate is one attested statement's predicate: its type URI and its
// JSON (an object).
type Predicate struct {
	Type string
	JSON json.RawMessage
}

// Sign signs subject's digest with s and stores the signature in t under
// SignatureTag, beside the signatures already there. Signing again with
// the same key adds nothing. It returns the signature manifest.
func Sign(ctx context.Context, t oras.Target, subject Subject, s *Signer) (ocispec.Descriptor, error) {
	if err := subject.Digest.Validate(); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("sign %q: %w", subject.Digest, err)
	}
	p, err := json.Marshal(payload.SimpleContainerImage{
		Critical: payload.Critical{
			Identity: payload.Identity{DockerReference: subject.Name},
			Image:    payload.Image{DockerManifestDigest: subject.Digest.String()},
			Type:     payload.CosignSignatureType,
		},
	})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	tag := SignatureTag(subject.Digest)
	have, err := readEntries(ctx, t, tag)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("sign %s: %w", subject.Digest, err)
	}
	for _, e := range have {
		if bytes.Equal(e.payload, p) && verifySignatureEntry(s.Verifier(), e) == nil {
			return t.Resolve(ctx, tag)
		}
	}
	sig, err := s.sv.SignMessage(bytes.NewReader(p))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("sign %s with %s: %w", subject.Digest, s.keyID, err)
	}
	e := entry{mediaType: MediaTypeSimpleSigning, payload: p,
		annotations: map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)}}
	d, err := writeEntries(ctx, t, tag, append(have, e))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("sign %s: %w", subject.Digest, err)
	}
	return d, nil
}

// statement is an in-toto v1 statement.
type statement struct {
	Type          string          `json:"_type"`
	Subject       []resource      `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type resource struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Attest signs, for each predicate, an in-toto statement whose one subject
// is subject's digest, as a DSSE envelope stored in t under AttestationTag.
// An attestation of the same predicate type signed by the same key is
// replaced; those of other keys are kept. It returns the attestation
// manifest.
func Attest(ctx context.Context, t oras.Target, subject Subject, s *Signer, preds ...Predicate) (ocispec.Descriptor, error) {
	if err := subject.Digest.Validate(); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("attest %q: %w", subject.Digest, err)
	}
	if len(preds) == 0 {
		return ocispec.Descriptor{}, fmt.Errorf("attest %s: no predicate", subject.Digest)
	}
	tag := AttestationTag(subject.Digest)
	have, err := readEntries(ctx, t, tag)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("attest %s: %w", subject.Digest, err)
	}
	replaced := map[string]bool{}
	var adds []entry
	for _, p := range sortedPredicates(preds) {
		e, err := attestation(subject, s, p)
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("attest %s: %w", subject.Digest, err)
		}
		if replaced[p.Type] {
			return ocispec.Descriptor{}, fmt.Errorf("attest %s: predicate %s given twice", subject.Digest, p.Type)
		}
		replaced[p.Type] = true
		adds = append(adds, e)
	}
	var keep []entry
	for _, e := range have {
		st, err := verifyAttestationEntry(s.Verifier(), e)
		if err == nil && replaced[st.PredicateType] {
			continue
		}
		keep = append(keep, e)
	}
	d, err := writeEntries(ctx, t, tag, append(keep, adds...))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("attest %s: %w", subject.Digest, err)
	}
	return d, nil
}

// attestation builds and signs the statement of p about subject.
func attestation(subject Subject, s *Signer, p Predicate) (entry, error) {
	if p.Type == "" {
		return entry{}, fmt.Errorf("a predicate has no type")
	}
	var pred bytes.Buffer
	if err := json.Compact(&pred, p.JSON); err != nil || !bytes.HasPrefix(pred.Bytes(), []byte("{")) {
		return entry{}, fmt.Errorf("predicate %s is not a JSON object", p.Type)
	}
	st := statement{Type: StatementType, PredicateType: p.Type, Predicate: pred.Bytes(),
		Subject: []resource{{Name: subject.Name, Digest: map[string]string{
			subject.Digest.Algorithm().String(): subject.Digest.Encoded()}}}}
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false) // the predicate is signed as given
	if err := enc.Encode(st); err != nil {
		return entry{}, err
	}
	env, err := dsse.WrapSigner(s.sv, PayloadTypeInToto).SignMessage(bytes.NewReader(bytes.TrimSuffix(sb.Bytes(), []byte("\n"))))
	if err != nil {
		return entry{}, fmt.Errorf("sign predicate %s with %s: %w", p.Type, s.keyID, err)
	}
	return entry{mediaType: MediaTypeDSSE, payload: env,
		annotations: map[string]string{AnnotationSignature: "", AnnotationPredicateType: p.Type}}, nil
}

func sortedPredicates(preds []Predicate) []Predicate {
	out := append([]Predicate(nil), preds...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}
