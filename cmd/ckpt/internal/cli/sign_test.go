package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/mlbom"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/sign"
)

const releasePassword = "release-pw-7f3a9c"

// writeKeyPair writes NAME.key (encrypted with releasePassword) and
// NAME.pub into dir.
func writeKeyPair(t *testing.T, dir, name string) (key, pub string) {
	t.Helper()
	priv, pubPEM, err := sign.GenerateKey([]byte(releasePassword))
	if err != nil {
		t.Fatal(err)
	}
	key, pub = filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
	if err := os.WriteFile(key, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return key, pub
}

// audit runs ckpt audit --json and returns its exit code and one result.
func audit(t *testing.T, log *bytes.Buffer, args ...string) (int, auditResult) {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"audit", "--json", "--plain-http"}, args...)...)
	fmt.Fprintf(log, "$ ckpt audit %s\n%s%s\n", strings.Join(args, " "), out, errOut)
	var rs []auditResult
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 {
		t.Fatalf("ckpt audit %v: exit %d, %v\n%s%s", args, code, err, out, errOut)
	}
	return code, rs[0]
}

// TestSignedReleaseJudgedByCosignAndAudit is the acceptance of signed
// releases: a push step signs what it pushed; the real cosign and ckpt
// audit --key accept it; a changed layer, a signature re-tagged to another
// manifest and another key fail both; the ML-BOM lists the layers; no
// secret leaks.
func TestSignedReleaseJudgedByCosignAndAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ckpt push and cosign")
	}
	var log bytes.Buffer
	reg := testenv.NewRegistry(t)
	ref := reg.Host + "/models/support:v1"
	dir := licenseProject(t, apacheText(t), "registry", fmt.Sprintf(
		"  ref = %q\n  sign_key = \"./cosign.key\"\n  sign_password_env = \"RELEASE_PASSWORD\"", ref))
	cs := testenv.NewCosignCLI(t, t.TempDir(), releasePassword, &log)
	_, pub := writeKeyPair(t, dir, "cosign")
	otherKey, otherPub := writeKeyPair(t, t.TempDir(), "other")
	code, out, errOut := ckptProc(t, []string{"RELEASE_PASSWORD=" + releasePassword}, "push", dir, "--plain-http")
	log.WriteString(out + errOut)
	if code != 0 {
		t.Fatalf("ckpt push: exit %d\n%s\n%s", code, out, errOut)
	}
	cs.Accepts("ckpt's signature", testenv.CosignVerify(pub, ref)...)
	cs.Accepts("ckpt's SLSA provenance attestation", testenv.CosignVerifyAttestation(pub, ref)...)
	policy := writePolicy(t, "policy.hcl", "use = \"commercial\"\nredistribute = true\nrequire_signature = true\n")
	code, r := audit(t, &log, "--key", pub, "--policy", policy, ref)
	if code != 0 || r.Verdict != verdictPass || r.SignedBy == "" || r.License != "Apache-2.0" ||
		strings.Join(r.Sources, ",") != "attested license report" {
		t.Fatalf("ckpt audit --key of the signed release: exit %d, %+v", code, r)
	}
	if code, _, errOut := runCLI(t, "audit", "--plain-http", "--policy", policy, ref); code != 2 || !strings.Contains(errOut, "--key") {
		t.Errorf("require_signature without --key: exit %d, %s", code, errOut)
	}
	checkReleaseMLBOM(t, ref)
	t.Run("another key", func(t *testing.T) {
		cs.Refuses("another key", "invalid signature", testenv.CosignVerify(otherPub, ref)...)
		cs.Refuses("another key's attestation", "no matching attestations", testenv.CosignVerifyAttestation(otherPub, ref)...)
		if code, r := audit(t, &log, "--key", otherPub, ref); code != 1 || !strings.Contains(r.Error, "no signature verifies") {
			t.Errorf("ckpt audit --key OTHER: exit %d, %+v", code, r)
		}
	})
	t.Run("ckpt sign", func(t *testing.T) {
		t.Setenv(sign.PasswordEnv, releasePassword)
		code, out, errOut := runCLI(t, "sign", ref, "--key", otherKey, "--plain-http")
		fmt.Fprintf(&log, "%s%s", out, errOut)
		if code != 0 || !strings.Contains(out, "attested "+sign.PredicateLicenseReport) {
			t.Fatalf("ckpt sign: exit %d\n%s%s", code, out, errOut)
		}
		cs.Accepts("ckpt sign's signature", testenv.CosignVerify(otherPub, ref)...)
		cs.Accepts("ckpt sign's attestation", testenv.CosignVerifyAttestation(otherPub, ref)...)
		cs.Accepts("the push step's signature beside it", testenv.CosignVerify(pub, ref)...)
	})
	cosignKey := auditCosignSigned(t, cs, &log, reg.Host, policy)
	tamperRelease(t, cs, &log, reg.Host, pub)
	noSecretsLeak(t, log.String(), filepath.Join(dir, ".ckpt"), reg.Host, []string{"models/support"},
		filepath.Join(dir, "cosign.key"), otherKey, cosignKey)
}

// auditCosignSigned signs the release with a key cosign makes, as cosign
// signs: ckpt audit --key accepts it, its verdict resting on the texts
// (cosign attested no license report). It returns the key's path.
func auditCosignSigned(t *testing.T, cs *testenv.CosignCLI, log *bytes.Buffer, host, policy string) string {
	t.Helper()
	cs.Accepts("generate-key-pair", "generate-key-pair")
	key, pub := filepath.Join(cs.Dir(), "cosign.key"), filepath.Join(cs.Dir(), "cosign.pub")
	d, err := repo(t, host, "models/support").Resolve(context.Background(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	cs.Accepts("sign", "sign", "--key", key, "--tlog-upload=false", "--allow-insecure-registry", "-y",
		host+"/models/support@"+d.Digest.String())
	code, r := audit(t, log, "--key", pub, "--policy", policy, host+"/models/support:v1")
	if code != 0 || r.Verdict != verdictPass || r.License != "Apache-2.0" || strings.Join(r.Sources, ",") != "license texts" {
		t.Fatalf("ckpt audit --key of a bundle cosign signed: exit %d, %+v", code, r)
	}
	return key
}

// checkReleaseMLBOM: the pushed release carries a CycloneDX 1.6 ML-BOM
// whose files are the manifest's layers, digest for digest, and ckpt
// inspect lists it among the referrers.
func checkReleaseMLBOM(t *testing.T, ref string) {
	t.Helper()
	r, err := ckptremote.ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	opts := ckptremote.Options{PlainHTTP: true}
	doc := referrerFile(t, r, opts, mlbom.MediaType, "mlbom.cdx.json")
	testenv.ValidateCycloneDX(t, doc)
	files, err := mlbom.Files(doc)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ckptremote.Inspect(context.Background(), r, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(rep.Files) || len(rep.Files) == 0 {
		t.Errorf("ML-BOM lists %d files, the manifest has %d layers", len(files), len(rep.Files))
	}
	for _, f := range rep.Files {
		if files[f.Path].String() != f.Digest {
			t.Errorf("ML-BOM: %s is %s, its layer %s", f.Path, files[f.Path], f.Digest)
		}
	}
	code, out, errOut := runCLI(t, "inspect", ref, "--plain-http")
	if code != 0 || !strings.Contains(out, mlbom.MediaType) {
		t.Errorf("ckpt inspect does not list the ML-BOM: exit %d\n%s%s", code, out, errOut)
	}
}

func repo(t *testing.T, host, name string) *remote.Repository {
	t.Helper()
	r, err := remote.NewRepository(host + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	return r
}

// tamperRelease changes one byte of the release's LICENSE layer and tags
// the changed manifest v1, then copies the signature and attestations
// beside it: cosign and ckpt audit --key refuse both, each for its reason.
func tamperRelease(t *testing.T, cs *testenv.CosignCLI, log *bytes.Buffer, host, pub string) {
	t.Helper()
	ctx := context.Background()
	rp := repo(t, host, "models/support")
	ref := host + "/models/support:v1"
	old, err := rp.Resolve(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	changed := changeLayer(t, rp, old, "LICENSE")
	if err := rp.Tag(ctx, changed, "v1"); err != nil {
		t.Fatal(err)
	}
	cs.Refuses("a changed layer", "no signatures found", testenv.CosignVerify(pub, ref)...)
	cs.Refuses("a changed layer's attestation", "no matching attestations", testenv.CosignVerifyAttestation(pub, ref)...)
	if code, r := audit(t, log, "--key", pub, ref); code != 1 || r.Verdict != verdictFail || !strings.Contains(r.Error, "not signed") {
		t.Errorf("ckpt audit --key of a changed layer: exit %d, %+v", code, r)
	}
	for _, tag := range []func(digest.Digest) string{sign.SignatureTag, sign.AttestationTag} {
		src, err := rp.Resolve(ctx, tag(old.Digest))
		if err != nil {
			t.Fatal(err)
		}
		if err := rp.Tag(ctx, src, tag(changed.Digest)); err != nil {
			t.Fatal(err)
		}
	}
	cs.Refuses("a signature re-tagged to another manifest", "invalid or missing digest in claim", testenv.CosignVerify(pub, ref)...)
	cs.Refuses("an attestation re-tagged to another manifest", "no matching subject digest found", testenv.CosignVerifyAttestation(pub, ref)...)
	if code, r := audit(t, log, "--key", pub, ref); code != 1 || !strings.Contains(r.Error, "signed for another manifest") {
		t.Errorf("ckpt audit --key of a re-tagged signature: exit %d, %+v", code, r)
	}
}

// changeLayer pushes a copy of manifest m whose layer at path has one
// byte changed, and returns it.
func changeLayer(t *testing.T, rp *remote.Repository, m ocispec.Descriptor, path string) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	b, err := content.FetchAll(ctx, rp, m)
	if err != nil {
		t.Fatal(err)
	}
	var man ocispec.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	for i, l := range man.Layers {
		if l.Annotations[ocispec.AnnotationTitle] != path {
			continue
		}
		lb, err := content.FetchAll(ctx, rp, l)
		if err != nil {
			t.Fatal(err)
		}
		lb[len(lb)/2] ^= 1
		d := content.NewDescriptorFromBytes(l.MediaType, lb)
		d.Annotations = l.Annotations
		if err := rp.Push(ctx, d, bytes.NewReader(lb)); err != nil {
			t.Fatal(err)
		}
		man.Layers[i] = d
		mb, err := json.Marshal(man)
		if err != nil {
			t.Fatal(err)
		}
		md := content.NewDescriptorFromBytes(m.MediaType, mb)
		if err := rp.Push(ctx, md, bytes.NewReader(mb)); err != nil {
			t.Fatal(err)
		}
		return md
	}
	t.Fatalf("manifest %s has no layer %s", m.Digest, path)
	return ocispec.Descriptor{}
}

// noSecretsLeak fails when the password, a private key's PEM body or its
// private scalar appears in logs, in the files under dir (the store and
// ledger) or in anything the repositories hold.
func noSecretsLeak(t *testing.T, logs, dir, host string, repos []string, keys ...string) {
	t.Helper()
	var hay bytes.Buffer
	hay.WriteString(logs)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		hay.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range repos {
		storedContent(t, repo(t, host, name), &hay)
	}
	secrets := []string{releasePassword}
	for _, k := range keys {
		b, err := os.ReadFile(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if len(l) > 20 && !strings.HasPrefix(l, "-----") {
				secrets = append(secrets, l)
			}
		}
		priv, err := cryptoutils.UnmarshalPEMToPrivateKey(b, cryptoutils.StaticPasswordFunc([]byte(releasePassword)))
		if err != nil {
			t.Fatal(err)
		}
		d := priv.(*ecdsa.PrivateKey).D
		secrets = append(secrets, d.String(), d.Text(16))
	}
	for _, s := range secrets {
		if bytes.Contains(hay.Bytes(), []byte(s)) {
			t.Fatalf("a secret (%d chars) appears in logs, the store, the ledger or the registry", len(s))
		}
	}
}

// storedContent appends every manifest and blob under every tag of r.
func storedContent(t *testing.T, r *remote.Repository, w *bytes.Buffer) {
	t.Helper()
	ctx := context.Background()
	var tags []string
	if err := r.Tags(ctx, "", func(ts []string) error { tags = append(tags, ts...); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		d, err := r.Resolve(ctx, tag)
		if err != nil {
			t.Fatal(err)
		}
		storedGraph(t, r, d, w)
	}
}

// storedGraph appends d and, for a manifest or index, what it names.
func storedGraph(t *testing.T, r *remote.Repository, d ocispec.Descriptor, w *bytes.Buffer) {
	t.Helper()
	b, err := content.FetchAll(context.Background(), r, d)
	if err != nil {
		t.Fatalf("fetch %s: %v", d.Digest, err)
	}
	w.Write(b)
	if d.MediaType != ocispec.MediaTypeImageManifest && d.MediaType != ocispec.MediaTypeImageIndex {
		return
	}
	var m struct {
		Config    *ocispec.Descriptor  `json:"config"`
		Layers    []ocispec.Descriptor `json:"layers"`
		Manifests []ocispec.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest %s: %v", d.Digest, err)
	}
	next := append(m.Layers, m.Manifests...)
	if m.Config != nil {
		next = append(next, *m.Config)
	}
	for _, n := range next {
		storedGraph(t, r, n, w)
	}
}
