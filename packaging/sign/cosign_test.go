package sign_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/mlbom"
	"github.com/ckpt-dev/ckpt/packaging/sign"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
)

func repository(t *testing.T, host, name string) *remote.Repository {
	t.Helper()
	r, err := remote.NewRepository(host + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	return r
}

// ckptVerify resolves ref's tag in repo and verifies it as audit would.
func ckptVerify(t *testing.T, repo *remote.Repository, tag string, key *sign.Verifier, require ...string) (*sign.Verified, error) {
	t.Helper()
	d, err := repo.Resolve(context.Background(), tag)
	if err != nil {
		t.Fatal(err)
	}
	return sign.Verify(context.Background(), repo, d.Digest, key, sign.VerifyOptions{Require: require})
}

func TestCosignJudgesCkptSignatures(t *testing.T) {
	ctx := context.Background()
	var log bytes.Buffer
	dir := t.TempDir()
	cs := testenv.NewCosignCLI(t, dir, password, &log)
	s, v, _ := keyPair(t, dir, "ckpt")
	other, otherV, _ := keyPair(t, dir, "other")
	reg := testenv.NewRegistry(t)
	pub, otherPub := filepath.Join(dir, "ckpt.pub"), filepath.Join(dir, "other.pub")

	name := reg.Host + "/models/support"
	repo := repository(t, reg.Host, "models/support")
	m := pushModel(t, ctx, repo, "v1", modelFiles())
	attachReferrer(t, ctx, repo, m) // cosign looks for sigstore bundles among them
	subj := sign.Subject{Name: name, Digest: m.Digest}
	if _, err := sign.Sign(ctx, repo, subj, s); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Attest(ctx, repo, subj, s, provenance(t), licenseReport()); err != nil {
		t.Fatal(err)
	}
	cs.Accepts("ckpt's signature", testenv.CosignVerify(pub, name+":v1")...)
	cs.Accepts("ckpt's SLSA attestation", testenv.CosignVerifyAttestation(pub, name+":v1")...)
	cs.Accepts("ckpt's license attestation", "verify-attestation", "--key", pub, "--type", sign.PredicateLicenseReport,
		"--insecure-ignore-tlog", "--allow-insecure-registry", name+"@"+m.Digest.String())
	bom, err := mlbom.JSON(mlbom.Input{Metadata: &specv1.Metadata{ID: "support", License: "Apache-2.0"},
		Files: []mlbom.File{{Path: "LICENSE", Digest: digest.FromBytes(modelFiles()["LICENSE"])}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Attest(ctx, repo, subj, s, sign.Predicate{Type: sign.PredicateCycloneDX, JSON: bom}); err != nil {
		t.Fatal(err)
	}
	cs.Accepts("ckpt's ML-BOM attestation", "verify-attestation", "--key", pub, "--type", "cyclonedx",
		"--insecure-ignore-tlog", "--allow-insecure-registry", name+":v1")
	got, err := ckptVerify(t, repo, "v1", v, sign.PredicateSLSAProvenance, sign.PredicateLicenseReport, sign.PredicateCycloneDX)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := got.Predicate(sign.PredicateCycloneDX); !sameJSON(t, p, bom) {
		t.Fatal("the attested ML-BOM differs from the one signed")
	}

	t.Run("another key", func(t *testing.T) {
		cs.Refuses("a signature made with another key", "invalid signature", testenv.CosignVerify(otherPub, name+":v1")...)
		cs.Refuses("an attestation made with another key", "no matching attestations", testenv.CosignVerifyAttestation(otherPub, name+":v1")...)
		if _, err := ckptVerify(t, repo, "v1", otherV); !errors.Is(err, sign.ErrBadSignature) {
			t.Fatalf("ckpt: %v, want %v", err, sign.ErrBadSignature)
		}
	})

	t.Run("one byte of a layer changed", func(t *testing.T) {
		r := repository(t, reg.Host, "models/tampered")
		a := pushModel(t, ctx, r, "v1", modelFiles())
		sa := sign.Subject{Name: reg.Host + "/models/tampered", Digest: a.Digest}
		if _, err := sign.Sign(ctx, r, sa, s); err != nil {
			t.Fatal(err)
		}
		if _, err := sign.Attest(ctx, r, sa, s, provenance(t)); err != nil {
			t.Fatal(err)
		}
		files := modelFiles()
		files["model.safetensors"][3] ^= 1
		pushModel(t, ctx, r, "v1", files)
		ref := sa.Name + ":v1"
		cs.Refuses("a changed layer", "no signatures found", testenv.CosignVerify(pub, ref)...)
		cs.Refuses("a changed layer's attestation", "no matching attestations", testenv.CosignVerifyAttestation(pub, ref)...)
		if _, err := ckptVerify(t, r, "v1", v); !errors.Is(err, sign.ErrUnsigned) {
			t.Fatalf("ckpt: %v, want %v", err, sign.ErrUnsigned)
		}
	})

	t.Run("re-tagged to another manifest", func(t *testing.T) {
		files := modelFiles()
		files["config.json"] = []byte(`{"dim":16}`)
		b := pushModel(t, ctx, repo, "v2", files)
		if err := repo.Tag(ctx, b, "v1"); err != nil {
			t.Fatal(err)
		}
		cs.Refuses("a re-tagged manifest", "no signatures found", testenv.CosignVerify(pub, name+":v1")...)
		if _, err := ckptVerify(t, repo, "v1", v); !errors.Is(err, sign.ErrUnsigned) {
			t.Fatalf("ckpt: %v, want %v", err, sign.ErrUnsigned)
		}
		// The signature and attestations copied beside the other manifest
		// name the first one: both tools refuse them too.
		for _, tag := range []func(digest.Digest) string{sign.SignatureTag, sign.AttestationTag} {
			src, err := repo.Resolve(ctx, tag(m.Digest))
			if err != nil {
				t.Fatal(err)
			}
			if err := repo.Tag(ctx, src, tag(b.Digest)); err != nil {
				t.Fatal(err)
			}
		}
		cs.Refuses("a signature copied to another manifest", "invalid or missing digest in claim", testenv.CosignVerify(pub, name+":v1")...)
		cs.Refuses("an attestation copied to another manifest", "no matching subject digest found", testenv.CosignVerifyAttestation(pub, name+":v1")...)
		if _, err := ckptVerify(t, repo, "v1", v); !errors.Is(err, sign.ErrSubjectMismatch) {
			t.Fatalf("ckpt: %v, want %v", err, sign.ErrSubjectMismatch)
		}
	})

	t.Run("signed with another key only", func(t *testing.T) {
		r := repository(t, reg.Host, "models/other")
		c := pushModel(t, ctx, r, "v1", modelFiles())
		sc := sign.Subject{Name: reg.Host + "/models/other", Digest: c.Digest}
		if _, err := sign.Sign(ctx, r, sc, other); err != nil {
			t.Fatal(err)
		}
		if _, err := sign.Attest(ctx, r, sc, other, provenance(t)); err != nil {
			t.Fatal(err)
		}
		cs.Refuses("a signature by another key", "invalid signature", testenv.CosignVerify(pub, sc.Name+":v1")...)
		cs.Refuses("an attestation by another key", "no matching attestations", testenv.CosignVerifyAttestation(pub, sc.Name+":v1")...)
		if _, err := ckptVerify(t, r, "v1", v); !errors.Is(err, sign.ErrBadSignature) {
			t.Fatalf("ckpt: %v, want %v", err, sign.ErrBadSignature)
		}
	})

	noSecrets(t, ctx, dir, log.String(), []*remote.Repository{repo}, s)
	if os.Getenv("CKPT_COSIGN_LOG") != "" {
		t.Log(log.String())
	}
}

func TestCkptJudgesCosignSignatures(t *testing.T) {
	ctx := context.Background()
	var log bytes.Buffer
	dir := t.TempDir()
	reg := testenv.NewRegistry(t)
	cs := testenv.NewCosignCLI(t, dir, password, &log)
	cs.Accepts("generate-key-pair", "generate-key-pair")
	cosignKey, cosignPub := filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")

	name := reg.Host + "/models/by-cosign"
	repo := repository(t, reg.Host, "models/by-cosign")
	m := pushModel(t, ctx, repo, "v1", modelFiles())
	ref := name + "@" + m.Digest.String()
	pred := filepath.Join(dir, "provenance.json")
	if err := os.WriteFile(pred, provenance(t).JSON, 0o644); err != nil {
		t.Fatal(err)
	}
	cs.Accepts("sign", "sign", "--key", cosignKey, "--tlog-upload=false", "--allow-insecure-registry", "-y", ref)
	cs.Accepts("attest", "attest", "--key", cosignKey, "--type", "slsaprovenance1", "--predicate", pred,
		"--tlog-upload=false", "--allow-insecure-registry", "-y", ref)

	pubKey, err := sign.LoadPublicKeyFile(cosignPub)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ckptVerify(t, repo, "v1", pubKey, sign.PredicateSLSAProvenance)
	if err != nil {
		t.Fatalf("ckpt refused cosign's signature: %v", err)
	}
	// cosign re-encodes a slsaprovenance1 predicate through its SLSA types
	// (it adds an empty runDetails.metadata); what it was given is kept.
	p, _ := got.Predicate(sign.PredicateSLSAProvenance)
	var gotP, wantP struct {
		BuildDefinition json.RawMessage `json:"buildDefinition"`
		RunDetails      struct {
			Builder json.RawMessage `json:"builder"`
		} `json:"runDetails"`
	}
	if json.Unmarshal(p, &gotP) != nil || json.Unmarshal(provenance(t).JSON, &wantP) != nil ||
		!sameJSON(t, gotP.BuildDefinition, wantP.BuildDefinition) || !sameJSON(t, gotP.RunDetails.Builder, wantP.RunDetails.Builder) {
		t.Fatalf("attested predicate %s, cosign was given %s", p, provenance(t).JSON)
	}

	// ckpt reads cosign's key, and its signature beside cosign's keeps
	// both verifiable by cosign.
	ck, err := sign.LoadPrivateKeyFile(cosignKey, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	// Signing again with cosign's key finds cosign's signature, which is
	// the one ckpt would write, and adds nothing.
	before, err := repo.Resolve(ctx, sign.SignatureTag(m.Digest))
	if err != nil {
		t.Fatal(err)
	}
	if after, err := sign.Sign(ctx, repo, sign.Subject{Name: name, Digest: m.Digest}, ck); err != nil || after.Digest != before.Digest {
		t.Fatalf("re-signing with cosign's key: %v, manifest %s → %s", err, before.Digest, after.Digest)
	}
	s, _, _ := keyPair(t, dir, "ckpt")
	if _, err := sign.Sign(ctx, repo, sign.Subject{Name: name, Digest: m.Digest}, s); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Attest(ctx, repo, sign.Subject{Name: name, Digest: m.Digest}, ck, licenseReport()); err != nil {
		t.Fatal(err)
	}
	cs.Accepts("cosign's signature beside ckpt's", testenv.CosignVerify(cosignPub, ref)...)
	cs.Accepts("ckpt's signature beside cosign's", testenv.CosignVerify(filepath.Join(dir, "ckpt.pub"), ref)...)
	cs.Accepts("cosign's attestation beside ckpt's", testenv.CosignVerifyAttestation(cosignPub, ref)...)
	if got, err = ckptVerify(t, repo, "v1", pubKey, sign.PredicateSLSAProvenance, sign.PredicateLicenseReport); err != nil {
		t.Fatal(err)
	}

	files := modelFiles()
	files["LICENSE"][0] ^= 1
	pushModel(t, ctx, repo, "v1", files)
	cs.Refuses("a changed layer", "no signatures found", testenv.CosignVerify(cosignPub, name+":v1")...)
	if _, err := ckptVerify(t, repo, "v1", pubKey); err == nil {
		t.Fatal("ckpt accepted a changed layer of a cosign-signed artifact")
	}
	noSecrets(t, ctx, dir, log.String(), []*remote.Repository{repo}, ck)
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// noSecrets checks that neither the password, nor any line of a private
// key file, nor a private scalar appears in what the tools printed, in
// errors a user can hit, or in anything stored under the signature and
// attestation tags.
func noSecrets(t *testing.T, ctx context.Context, dir, logs string, repos []*remote.Repository, signers ...*sign.Signer) {
	t.Helper()
	var hay strings.Builder
	hay.WriteString(logs)
	for _, s := range signers {
		fmt.Fprintf(&hay, "%v %+v %#v %s\n", s, s, s, s)
	}
	keys, _ := filepath.Glob(filepath.Join(dir, "*.key"))
	var secrets []string
	for _, k := range keys {
		b, err := os.ReadFile(k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sign.LoadPrivateKey(k, b, []byte("not-the-password")); err != nil {
			hay.WriteString(err.Error())
		}
		for _, l := range strings.Split(string(b), "\n") {
			if len(l) > 20 && !strings.HasPrefix(l, "-----") {
				secrets = append(secrets, l)
			}
		}
		priv, err := cryptoutils.UnmarshalPEMToPrivateKey(b, cryptoutils.StaticPasswordFunc([]byte(password)))
		if err != nil {
			t.Fatal(err)
		}
		d := priv.(*ecdsa.PrivateKey).D
		secrets = append(secrets, d.String(), d.Text(16))
	}
	for _, r := range repos {
		stored(t, ctx, r, &hay)
	}
	if len(secrets) == 0 {
		t.Fatal("no key files to look for")
	}
	for _, s := range append(secrets, password) {
		if strings.Contains(hay.String(), s) {
			t.Fatalf("a secret (%d chars) appears in logs, errors or the registry", len(s))
		}
	}
}

// stored appends every blob under the repository's .sig and .att tags.
func stored(t *testing.T, ctx context.Context, r *remote.Repository, w *strings.Builder) {
	t.Helper()
	err := r.Tags(ctx, "", func(tags []string) error {
		for _, tag := range tags {
			if !strings.HasSuffix(tag, ".sig") && !strings.HasSuffix(tag, ".att") {
				continue
			}
			d, err := r.Resolve(ctx, tag)
			if err != nil {
				return err
			}
			b, err := content.FetchAll(ctx, r, d)
			if err != nil {
				return err
			}
			w.Write(b)
			var m ocispec.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			for _, l := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
				lb, err := content.FetchAll(ctx, r, l)
				if err != nil {
					return err
				}
				w.Write(lb)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// attachReferrer attaches an unsigned license report referrer to m, as a
// ckpt bundle carries one.
func attachReferrer(t *testing.T, ctx context.Context, repo *remote.Repository, m ocispec.Descriptor) {
	t.Helper()
	body := []byte(`{"license":"Apache-2.0"}`)
	l := content.NewDescriptorFromBytes(specv1.ArtifactTypeLicenseReport, body)
	if err := repo.Push(ctx, l, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if _, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, specv1.ArtifactTypeLicenseReport,
		oras.PackManifestOptions{Subject: &m, Layers: []ocispec.Descriptor{l}}); err != nil {
		t.Fatal(err)
	}
}
