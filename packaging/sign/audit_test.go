package sign_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/sign"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// TestAuditPath is the path `ckpt audit --key` takes: verify the signature,
// take the license report from the signed attestation, identify the texts
// in the layers of the signed manifest, and judge. The signature is valid
// and cosign would accept it; the verdict still refuses a bundle whose
// LICENSE is the Mistral AI Research License while it declares Apache-2.0.
func TestAuditPath(t *testing.T) {
	ctx := context.Background()
	s, v, _ := keyPair(t, t.TempDir(), "ckpt")
	apache, ok := license.Text("Apache-2.0")
	if !ok {
		t.Fatal("no Apache text")
	}
	mrl, err := os.ReadFile("../license/reference/MRL-0.1.md")
	if err != nil {
		t.Fatal(err)
	}
	det, err := license.NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		licText []byte
		fail    bool
	}{
		{"matching LICENSE", apache, false},
		{"MRL text declared Apache-2.0", mrl, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := layout(t)
			files := modelFiles()
			files["LICENSE"] = c.licText
			m := pushModel(t, ctx, st, "v1", files)
			subj := sign.Subject{Name: "example.test/support", Digest: m.Digest}
			rep, err := license.NewReport(&specv1.Metadata{Kind: "bundle", License: "Apache-2.0"}, m.Digest.String()).JSON()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sign.Sign(ctx, st, subj, s); err != nil {
				t.Fatal(err)
			}
			if _, err := sign.Attest(ctx, st, subj, s, sign.Predicate{Type: sign.PredicateLicenseReport, JSON: rep}); err != nil {
				t.Fatal(err)
			}

			verified, err := sign.Verify(ctx, st, m.Digest, v, sign.VerifyOptions{Require: []string{sign.PredicateLicenseReport}})
			if err != nil {
				t.Fatal(err)
			}
			report, _ := verified.Predicate(sign.PredicateLicenseReport)
			ds := det.DetectFiles(layerFiles(t, ctx, st, m))
			j, err := license.Judge(report, m.Digest.String(), ds, license.Policy{Use: license.UseCommercial, Redistribute: true})
			if err != nil {
				t.Fatal(err)
			}
			if j.Failed() != c.fail {
				t.Fatalf("verdict failed=%v, want %v: %+v", j.Failed(), c.fail, j)
			}
		})
	}
}

// layerFiles reads the files of manifest m by their filepath annotation.
func layerFiles(t *testing.T, ctx context.Context, st oras.ReadOnlyTarget, m ocispec.Descriptor) map[string][]byte {
	t.Helper()
	b, err := content.FetchAll(ctx, st, m)
	if err != nil {
		t.Fatal(err)
	}
	var man ocispec.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, l := range man.Layers {
		lb, err := content.FetchAll(ctx, st, l)
		if err != nil {
			t.Fatal(err)
		}
		out[l.Annotations[specv1.AnnotationFilepath]] = lb
	}
	return out
}
