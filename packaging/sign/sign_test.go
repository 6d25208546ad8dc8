package sign_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/sign"
	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2"
)

func TestSignAttestVerifyLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, v, _ := keyPair(t, dir, "ckpt")
	st := layout(t)
	m := pushModel(t, ctx, st, "v1", modelFiles())
	subj := sign.Subject{Name: "example.test/models/support", Digest: m.Digest}
	if _, err := sign.Sign(ctx, st, subj, s); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Attest(ctx, st, subj, s, provenance(t), licenseReport()); err != nil {
		t.Fatal(err)
	}
	got, err := sign.Verify(ctx, st, m.Digest, v, sign.VerifyOptions{
		Require: []string{sign.PredicateSLSAProvenance, sign.PredicateLicenseReport}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Signatures != 1 || len(got.Predicates) != 2 || got.Ignored != 0 {
		t.Fatalf("verified %+v", got)
	}
	rep, _ := got.Predicate(sign.PredicateLicenseReport)
	if string(rep) != `{"license":"Apache-2.0","verdict":"allowed","note":"<a&b>"}` {
		t.Fatalf("license report predicate = %s", rep)
	}

	// Signing and attesting again with the same key adds nothing new.
	if _, err := sign.Sign(ctx, st, subj, s); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Attest(ctx, st, subj, s, licenseReport()); err != nil {
		t.Fatal(err)
	}
	again, err := sign.Verify(ctx, st, m.Digest, v, sign.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Signatures != 1 || len(again.Predicates) != 2 {
		t.Fatalf("after re-signing: %+v", again)
	}
}

func TestVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, v, _ := keyPair(t, dir, "ckpt")
	_, other, _ := keyPair(t, dir, "other")
	st := layout(t)
	files := modelFiles()
	a := pushModel(t, ctx, st, "v1", files)
	files["config.json"] = []byte(`{"dim":9}`)
	b := pushModel(t, ctx, st, "v2", files)
	subj := sign.Subject{Name: "example.test/m", Digest: a.Digest}
	if _, err := sign.Sign(ctx, st, subj, s); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Attest(ctx, st, subj, s, provenance(t)); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		d    digest.Digest
		key  *sign.Verifier
		opts sign.VerifyOptions
		want error
	}{
		{"unsigned manifest", b.Digest, v, sign.VerifyOptions{}, sign.ErrUnsigned},
		{"another key", a.Digest, other, sign.VerifyOptions{}, sign.ErrBadSignature},
		{"missing license report", a.Digest, v, sign.VerifyOptions{Require: []string{sign.PredicateLicenseReport}}, sign.ErrMissingAttestation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := sign.Verify(ctx, st, c.d, c.key, c.opts)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.d.String()) {
				t.Fatalf("error does not name the digest: %v", err)
			}
		})
	}

	t.Run("signature copied to another manifest", func(t *testing.T) {
		copyTag(t, ctx, st, sign.SignatureTag(a.Digest), sign.SignatureTag(b.Digest))
		_, err := sign.Verify(ctx, st, b.Digest, v, sign.VerifyOptions{})
		if !errors.Is(err, sign.ErrSubjectMismatch) || !strings.Contains(err.Error(), a.Digest.String()) {
			t.Fatalf("Verify = %v, want %v naming %s", err, sign.ErrSubjectMismatch, a.Digest)
		}
	})
	t.Run("attestation copied to another manifest", func(t *testing.T) {
		subjB := sign.Subject{Name: "example.test/m", Digest: b.Digest}
		if _, err := sign.Sign(ctx, st, subjB, s); err != nil {
			t.Fatal(err)
		}
		copyTag(t, ctx, st, sign.AttestationTag(a.Digest), sign.AttestationTag(b.Digest))
		_, err := sign.Verify(ctx, st, b.Digest, v, sign.VerifyOptions{})
		if !errors.Is(err, sign.ErrSubjectMismatch) {
			t.Fatalf("Verify = %v, want %v", err, sign.ErrSubjectMismatch)
		}
	})
}

// TestVerifyTamperedAttestation changes the statement inside a signed
// envelope: the envelope no longer verifies, so the predicate is not
// trusted and a required one is missing.
func TestVerifyTamperedAttestation(t *testing.T) {
	ctx := context.Background()
	s, v, _ := keyPair(t, t.TempDir(), "ckpt")
	st := layout(t)
	m := pushModel(t, ctx, st, "v1", modelFiles())
	subj := sign.Subject{Digest: m.Digest}
	if _, err := sign.Sign(ctx, st, subj, s); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Attest(ctx, st, subj, s, licenseReport()); err != nil {
		t.Fatal(err)
	}
	rewriteEnvelope(t, ctx, st, sign.AttestationTag(m.Digest), func(stmt []byte) []byte {
		return bytes.Replace(stmt, []byte(`"allowed"`), []byte(`"refused"`), 1)
	})
	got, err := sign.Verify(ctx, st, m.Digest, v, sign.VerifyOptions{Require: []string{sign.PredicateLicenseReport}})
	if !errors.Is(err, sign.ErrMissingAttestation) {
		t.Fatalf("Verify = %+v, %v; want %v", got, err, sign.ErrMissingAttestation)
	}
	if got, err = sign.Verify(ctx, st, m.Digest, v, sign.VerifyOptions{}); err != nil || got.Ignored != 1 || len(got.Predicates) != 0 {
		t.Fatalf("Verify = %+v, %v; want the tampered attestation ignored", got, err)
	}
}

func TestAttestRejectsBadPredicates(t *testing.T) {
	ctx := context.Background()
	s, _, _ := keyPair(t, t.TempDir(), "ckpt")
	st := layout(t)
	m := pushModel(t, ctx, st, "v1", modelFiles())
	subj := sign.Subject{Digest: m.Digest}
	for name, preds := range map[string][]sign.Predicate{
		"none":       nil,
		"no type":    {{JSON: json.RawMessage(`{}`)}},
		"not object": {{Type: "x", JSON: json.RawMessage(`[1]`)}},
		"not json":   {{Type: "x", JSON: json.RawMessage(`{`)}},
		"twice":      {licenseReport(), licenseReport()},
	} {
		if _, err := sign.Attest(ctx, st, subj, s, preds...); err == nil {
			t.Errorf("%s: Attest accepted %v", name, preds)
		}
	}
	if _, err := sign.Sign(ctx, st, sign.Subject{Digest: "sha256:abc"}, s); err == nil {
		t.Error("Sign accepted a malformed digest")
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	s, _, kp := keyPair(t, dir, "ckpt")
	pemBytes, err := os.ReadFile(kp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pemBytes, []byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")) {
		t.Fatalf("private key is not cosign's encrypted PEM:\n%s", pemBytes[:60])
	}
	if _, err := sign.LoadPrivateKey(kp, pemBytes, []byte("wrong")); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Fatalf("wrong password: %v", err)
	}
	plain := []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	if _, err := sign.LoadPrivateKey("plain.key", plain, nil); err == nil || !strings.Contains(err.Error(), "not an encrypted cosign key") {
		t.Fatalf("unencrypted key: %v", err)
	}
	if _, err := sign.LoadPrivateKey("x.key", []byte("junk"), nil); err == nil {
		t.Fatal("junk key accepted")
	}
	if _, err := sign.LoadPublicKey("x.pub", pemBytes); err == nil {
		t.Fatal("a private key was accepted as a public key")
	}
	if _, err := sign.LoadPublicKeyFile(filepath.Join(dir, "absent.pub")); err == nil {
		t.Fatal("absent public key accepted")
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{s, *s} {
			if out := fmt.Sprintf(f, x); out != "sign.Signer("+s.KeyID()+")" {
				t.Fatalf("Printf(%q, signer) = %q", f, out)
			}
		}
	}
	t.Setenv("CKPT_TEST_PW", "")
	if pw, err := sign.Password("CKPT_TEST_PW"); err != nil || len(pw) != 0 {
		t.Fatalf("empty password: %q, %v", pw, err)
	}
	if _, err := sign.Password("CKPT_TEST_PW_UNSET_9c1"); err == nil || !strings.Contains(err.Error(), "not set") {
		t.Fatalf("unset password variable: %v", err)
	}
}

// copyTag points dst at the manifest src names.
func copyTag(t *testing.T, ctx context.Context, st oras.Target, src, dst string) {
	t.Helper()
	d, err := st.Resolve(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Tag(ctx, d, dst); err != nil {
		t.Fatal(err)
	}
}
