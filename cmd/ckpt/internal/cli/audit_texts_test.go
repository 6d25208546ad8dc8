package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// pushModctlBundle writes, as modctl does, a ModelPack manifest of raw
// layers into a new layout: weights and a LICENSE file, the config's
// descriptor.licenses the only license metadata (none when declared is
// empty). It returns the oci: reference.
func pushModctlBundle(t *testing.T, licenseText []byte, declared string) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "oci")
	st, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := pushBlob(t, ctx, st, specv1.MediaTypeModelWeightRaw, []byte("weights"), "model.safetensors")
	l := pushBlob(t, ctx, st, specv1.MediaTypeModelDocRaw, licenseText, "LICENSE")
	desc := map[string]any{"name": "support"}
	if declared != "" {
		desc["licenses"] = []string{declared}
	}
	cfg, err := json.Marshal(map[string]any{"descriptor": desc, "config": map[string]any{"format": "safetensors"},
		"modelfs": map[string]any{"type": "layers", "diffIds": []string{w.Digest.String(), l.Digest.String()}}})
	if err != nil {
		t.Fatal(err)
	}
	c := pushBlob(t, ctx, st, specv1.MediaTypeModelConfig, cfg, "")
	m, err := oras.PackManifest(ctx, st, oras.PackManifestVersion1_1, specv1.MediaTypeModelManifest, oras.PackManifestOptions{
		Layers: []ocispec.Descriptor{w, l}, ConfigDescriptor: &c,
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "1970-01-01T00:00:00Z"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Tag(ctx, m, "v1"); err != nil {
		t.Fatal(err)
	}
	return "oci:" + dir + ":v1"
}

// TestAuditJudgesLicenseTexts: a bundle that carries only a LICENSE file
// gets its verdict from the text; a text that contradicts the declared
// license fails the audit, naming the file and both licenses.
func TestAuditJudgesLicenseTexts(t *testing.T) {
	commercial := writePolicy(t, "policy.hcl", "use = \"commercial\"\nredistribute = true\n")
	cases := []struct {
		name        string
		text        []byte
		declared    string
		verdict     string
		license     string
		wantMessage string
	}{
		{"Apache text only", apacheText(t), "", verdictPass, "Apache-2.0", ""},
		{"MRL text only", mrlText(t), "", verdictFail, "LicenseRef-MRL-0.1", "forbids commercial use"},
		{"MRL text declared Apache-2.0", mrlText(t), "Apache-2.0", verdictFail, "Apache-2.0",
			"LICENSE is Mistral AI Research License 0.1 (LicenseRef-MRL-0.1)"},
		{"Apache text declared Apache-2.0", apacheText(t), "Apache-2.0", verdictPass, "Apache-2.0", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := pushModctlBundle(t, c.text, c.declared)
			code, out, errOut := runCLI(t, "audit", "--json", "--policy", commercial, ref)
			var rs []auditResult
			if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 {
				t.Fatalf("exit %d: %v\n%s%s", code, err, out, errOut)
			}
			r := rs[0]
			if r.Verdict != c.verdict || r.License != c.license || (code == 0) != (c.verdict == verdictPass) {
				t.Fatalf("exit %d, verdict %s, license %q; want %s, %q: %+v", code, r.Verdict, r.License, c.verdict, c.license, r)
			}
			if c.declared == "" && !strings.Contains(strings.Join(r.Sources, ","), lic.FromTexts) {
				t.Errorf("sources %v do not name the texts", r.Sources)
			}
			if c.wantMessage != "" && !strings.Contains(out, c.wantMessage) {
				t.Errorf("audit does not say %q:\n%s", c.wantMessage, out)
			}
		})
	}
}
