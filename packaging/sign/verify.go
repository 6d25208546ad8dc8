package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"oras.land/oras-go/v2"
)

// Conditions Verify reports; callers tell them apart with errors.Is.
var (
	// ErrUnsigned: the manifest has no signature at all.
	ErrUnsigned = errors.New("not signed")
	// ErrBadSignature: signatures exist, but none verifies with the key.
	ErrBadSignature = errors.New("no signature verifies with the key")
	// ErrSubjectMismatch: a payload signed by the key names another manifest.
	ErrSubjectMismatch = errors.New("signed for another manifest")
	// ErrMissingAttestation: a required predicate is not attested with the key.
	ErrMissingAttestation = errors.New("attestation missing")
)

// VerifyOptions tune Verify. The zero value checks the signature and every
// attestation signed with the key, and requires none.
type VerifyOptions struct {
	// Require lists predicate types that must be attested with the key.
	Require []string
}

// Verified is what Verify established about a manifest.
type Verified struct {
	Digest digest.Digest
	KeyID  string
	// Signatures counts the signatures that verify with the key.
	Signatures int
	// Predicates are the predicates of the attestations signed with the key,
	// each about Digest, sorted by type.
	Predicates []Predicate
	// Ignored counts signatures and attestations not made with the key.
	Ignored int
}

// Predicate returns the attested predicate of type typ, or false.
func (v *Verified) Predicate(typ string) (json.RawMessage, bool) {
	for _, p := range v.Predicates {
		if p.Type == typ {
			return p.JSON, true
		}
	}
	return nil, false
}

// Verify checks that the manifest d in t carries a cosign signature made
// with key's private key over d (ErrUnsigned, ErrBadSignature,
// ErrSubjectMismatch otherwise), that every attestation made with the key
// has d as its subject (ErrSubjectMismatch), and that each type in
// opts.Require is attested (ErrMissingAttestation). It returns the attested
// predicates: what a verdict may rest on. Entries made with other keys are
// ignored, never trusted.
func Verify(ctx context.Context, t oras.ReadOnlyTarget, d digest.Digest, key *Verifier, opts VerifyOptions) (*Verified, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("verify %q: %w", d, err)
	}
	out := &Verified{Digest: d, KeyID: key.keyID}
	if err := verifySignatures(ctx, t, out, key); err != nil {
		return nil, fmt.Errorf("verify %s: %w", d, err)
	}
	if err := verifyAttestations(ctx, t, out, key); err != nil {
		return nil, fmt.Errorf("verify %s: %w", d, err)
	}
	var missing []string
	for _, typ := range opts.Require {
		if _, ok := out.Predicate(typ); !ok {
			missing = append(missing, typ)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("verify %s: %w: no %s signed with %s", d, ErrMissingAttestation, strings.Join(missing, ", "), key.keyID)
	}
	return out, nil
}

func verifySignatures(ctx context.Context, t oras.ReadOnlyTarget, out *Verified, key *Verifier) error {
	tag := SignatureTag(out.Digest)
	es, err := readEntries(ctx, t, tag)
	if err != nil {
		return err
	}
	if len(es) == 0 {
		return fmt.Errorf("%w: no %s", ErrUnsigned, tag)
	}
	for _, e := range es {
		if verifySignatureEntry(key, e) != nil {
			out.Ignored++
			continue
		}
		var p payload.SimpleContainerImage
		if err := json.Unmarshal(e.payload, &p); err != nil || p.Critical.Type != payload.CosignSignatureType {
			return fmt.Errorf("a payload signed with %s is not a cosign signature", key.keyID)
		}
		if got := p.Critical.Image.DockerManifestDigest; got != out.Digest.String() {
			return fmt.Errorf("%w: a signature under %s made with %s is for %s", ErrSubjectMismatch, tag, key.keyID, got)
		}
		out.Signatures++
	}
	if out.Signatures == 0 {
		return fmt.Errorf("%w: %d signature(s) under %s, none made with %s", ErrBadSignature, len(es), tag, key.keyID)
	}
	return nil
}

func verifyAttestations(ctx context.Context, t oras.ReadOnlyTarget, out *Verified, key *Verifier) error {
	tag := AttestationTag(out.Digest)
	es, err := readEntries(ctx, t, tag)
	if err != nil {
		return err
	}
	for _, e := range es {
		st, err := verifyAttestationEntry(key, e)
		if err != nil {
			out.Ignored++
			continue
		}
		if !namesDigest(st, out.Digest) {
			return fmt.Errorf("%w: the %s attestation under %s made with %s is about another subject", ErrSubjectMismatch, st.PredicateType, tag, key.keyID)
		}
		if prev, dup := out.Predicate(st.PredicateType); dup {
			if bytes.Equal(prev, st.Predicate) {
				continue
			}
			return fmt.Errorf("two different %s attestations under %s made with %s", st.PredicateType, tag, key.keyID)
		}
		out.Predicates = append(out.Predicates, Predicate{Type: st.PredicateType, JSON: st.Predicate})
	}
	sort.Slice(out.Predicates, func(i, j int) bool { return out.Predicates[i].Type < out.Predicates[j].Type })
	return nil
}

// namesDigest reports whether every subject of st is d (and there is one).
func namesDigest(st statement, d digest.Digest) bool {
	if len(st.Subject) == 0 {
		return false
	}
	for _, s := range st.Subject {
		if len(s.Digest) != 1 || s.Digest[d.Algorithm().String()] != d.Encoded() {
			return false
		}
	}
	return true
}

// verifySignatureEntry checks a simple-signing layer's signature with key.
func verifySignatureEntry(key *Verifier, e entry) error {
	if e.mediaType != MediaTypeSimpleSigning {
		return fmt.Errorf("layer is %s, not a signature", e.mediaType)
	}
	sig, err := base64.StdEncoding.DecodeString(e.annotations[AnnotationSignature])
	if err != nil || len(sig) == 0 {
		return errors.New("no signature annotation")
	}
	return key.v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(e.payload))
}

// verifyAttestationEntry checks a DSSE layer's envelope with key and
// returns its statement.
func verifyAttestationEntry(key *Verifier, e entry) (statement, error) {
	var env ssldsse.Envelope
	if err := json.Unmarshal(e.payload, &env); err != nil {
		return statement{}, fmt.Errorf("not a DSSE envelope: %w", err)
	}
	if env.PayloadType != PayloadTypeInToto {
		return statement{}, fmt.Errorf("payload type %q, not %s", env.PayloadType, PayloadTypeInToto)
	}
	if err := dsse.WrapVerifier(key.v).VerifySignature(bytes.NewReader(e.payload), nil); err != nil {
		return statement{}, err
	}
	p, err := env.DecodeB64Payload()
	if err != nil {
		return statement{}, err
	}
	var st statement
	if err := json.Unmarshal(p, &st); err != nil {
		return statement{}, fmt.Errorf("signed payload is not an in-toto statement: %w", err)
	}
	return st, nil
}
