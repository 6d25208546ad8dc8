package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/sigstore/sigstore/pkg/signature"
)

// FuzzVerifyEntries feeds registry bytes (untrusted) to the signature and
// attestation checks: they never panic, and they accept nothing but what
// the key signed.
func FuzzVerifyEntries(f *testing.F) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		f.Fatal(err)
	}
	s := &Signer{sv: sv, keyID: "fuzz"}
	subject := Subject{Name: "r/m", Digest: digest.FromString("m")}
	att, err := attestation(subject, s, Predicate{Type: PredicateLicenseReport, JSON: []byte(`{"license":"MIT"}`)})
	if err != nil {
		f.Fatal(err)
	}
	payload := []byte(`{"critical":{"identity":{"docker-reference":"r/m"},"image":{"docker-manifest-digest":"` +
		subject.Digest.String() + `"},"type":"cosign container image signature"},"optional":null}`)
	sig, err := sv.SignMessage(bytes.NewReader(payload))
	if err != nil {
		f.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(sig)
	f.Add(att.payload, b64)
	f.Add(payload, b64)
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}`), "")
	f.Fuzz(func(t *testing.T, p []byte, annotation string) {
		v := s.Verifier()
		e := entry{mediaType: MediaTypeSimpleSigning, payload: p, annotations: map[string]string{AnnotationSignature: annotation}}
		if verifySignatureEntry(v, e) == nil && !bytes.Equal(p, payload) {
			t.Fatalf("accepted a signature over %q", p)
		}
		e.mediaType = MediaTypeDSSE
		st, err := verifyAttestationEntry(v, e)
		if err != nil {
			return
		}
		if st.PredicateType != PredicateLicenseReport || !namesDigest(st, subject.Digest) {
			t.Fatalf("accepted an attestation that was never signed: %+v", st)
		}
	})
}
