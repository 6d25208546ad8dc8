package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	lic "github.com/ckpt-dev/ckpt/packaging/license"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// testBundle is a hand-built ModelPack bundle.
type testBundle struct {
	name     string
	licenses []string // descriptor.licenses
	// annotate: put ckpt's license and lineage annotations on the manifest.
	annotate bool
	// report: attach a license report referrer.
	report bool
	// reportLicense, when set, is the license the report claims instead.
	reportLicense string
	license       string
	lineage       []specv1.Lineage
}

var (
	apacheBase = specv1.Lineage{Role: "base", ID: "mistral-7b-instruct-v0.3", License: "Apache-2.0", Step: "model.base"}
	mrlAdapter = specv1.Lineage{Role: "adapter", ID: "support-lora", License: "LicenseRef-MRL-0.1", Step: "adapter.support"}
	mrlBase    = specv1.Lineage{Role: "base", ID: "mistral-large-2407", License: "LicenseRef-MRL-0.1", Step: "model.base"}
)

func pushBlob(t *testing.T, ctx context.Context, dst content.Pusher, mt string, data []byte, title string) ocispec.Descriptor {
	t.Helper()
	d := content.NewDescriptorFromBytes(mt, data)
	if err := dst.Push(ctx, d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if title != "" {
		d.Annotations = map[string]string{specv1.AnnotationTitle: title, specv1.AnnotationFilepath: title}
	}
	return d
}

// pushBundle pushes b to dst, tags it and returns its manifest descriptor.
func pushBundle(t *testing.T, dst oras.Target, tag string, b testBundle) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	w := pushBlob(t, ctx, dst, specv1.MediaTypeModelWeightRaw, []byte("weights of "+b.name), "model.safetensors")
	cfg, err := json.Marshal(map[string]any{
		"descriptor": map[string]any{"name": b.name, "licenses": b.licenses},
		"config":     map[string]any{"format": "safetensors"},
		"modelfs":    map[string]any{"type": "layers", "diffIds": []string{w.Digest.String()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := pushBlob(t, ctx, dst, specv1.MediaTypeModelConfig, cfg, "")
	opts := oras.PackManifestOptions{Layers: []ocispec.Descriptor{w}, ConfigDescriptor: &c,
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "1970-01-01T00:00:00Z"}}
	if b.annotate {
		lin, _ := json.Marshal(b.lineage)
		opts.ManifestAnnotations[specv1.AnnotationLicense] = b.license
		opts.ManifestAnnotations[specv1.AnnotationLineage] = string(lin)
	}
	desc, err := oras.PackManifest(ctx, dst, oras.PackManifestVersion1_1, specv1.MediaTypeModelManifest, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.Tag(ctx, desc, tag); err != nil {
		t.Fatal(err)
	}
	if b.report {
		m := &specv1.Metadata{Kind: "merge", ID: b.name, License: b.license, Lineage: b.lineage}
		if b.reportLicense != "" {
			m.License = b.reportLicense
		}
		js, err := lic.NewReport(m, desc.Digest.String()).JSON()
		if err != nil {
			t.Fatal(err)
		}
		r := pushBlob(t, ctx, dst, "application/json", js, "license-report.json")
		_, err = oras.PackManifest(ctx, dst, oras.PackManifestVersion1_1, specv1.ArtifactTypeLicenseReport,
			oras.PackManifestOptions{Subject: &desc, Layers: []ocispec.Descriptor{r},
				ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "1970-01-01T00:00:00Z"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return desc
}

// threeBundles are bundles with different lineages: Apache-only, an
// Apache base with an MRL adapter, and an MRL base known only from its
// license report.
func threeBundles() map[string]testBundle {
	return map[string]testBundle{
		"apache": {name: "support-apache", licenses: []string{"Apache-2.0"}, annotate: true,
			license: "Apache-2.0", lineage: []specv1.Lineage{apacheBase}},
		"mrl-adapter": {name: "support-mrl", licenses: []string{"Apache-2.0", "LicenseRef-MRL-0.1"}, annotate: true, report: true,
			license: "Apache-2.0 AND LicenseRef-MRL-0.1", lineage: []specv1.Lineage{apacheBase, mrlAdapter}},
		"report-only": {name: "large-research", report: true,
			license: "LicenseRef-MRL-0.1", lineage: []specv1.Lineage{mrlBase}},
	}
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	return code, out.String(), errb.String()
}

func writePolicy(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// row returns the table row of ref.
func row(out, ref string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, ref+" ") {
			return l
		}
	}
	return ""
}

func TestAuditRegistry(t *testing.T) {
	reg := testenv.NewRegistry(t)
	digests := map[string]string{}
	for tag, b := range threeBundles() {
		repo, err := remote.NewRepository(reg.Host + "/support")
		if err != nil {
			t.Fatal(err)
		}
		repo.PlainHTTP = true
		digests[tag] = pushBundle(t, repo, tag, b).Digest.String()
	}
	ref := func(tag string) string { return reg.Host + "/support:" + tag }
	policy := writePolicy(t, "release.hcl", "use = \"commercial\"\nredistribute = true\n")
	code, out, _ := runCLI(t, "audit", "--plain-http", "--policy", policy, ref("apache"), ref("mrl-adapter"), ref("report-only"))
	t.Log("\n" + out)
	if code != 1 {
		t.Errorf("exit code = %d, want 1\n%s", code, out)
	}
	want := map[string][]string{
		"apache":      {digests["apache"], "Apache-2.0", "base:mistral-7b-instruct-v0.3(Apache-2.0)", "pass"},
		"mrl-adapter": {digests["mrl-adapter"], "Apache-2.0 AND LicenseRef-MRL-0.1", "adapter:support-lora(LicenseRef-MRL-0.1)", "FAIL"},
		"report-only": {digests["report-only"], "LicenseRef-MRL-0.1", "base:mistral-large-2407(LicenseRef-MRL-0.1)", "FAIL"},
	}
	for tag, fields := range want {
		r := row(out, ref(tag))
		for _, f := range fields {
			if !strings.Contains(r, f) {
				t.Errorf("row of %s lacks %q: %q\n%s", tag, f, r, out)
			}
		}
	}
	for _, msg := range []string{
		ref("mrl-adapter") + ": error: adapter.support (support-lora) is under LicenseRef-MRL-0.1, which forbids commercial use (clause MRL-0.1 §3.2",
		ref("report-only") + ": error: model.base (mistral-large-2407) is under LicenseRef-MRL-0.1, which forbids commercial use",
	} {
		if !strings.Contains(out, msg) {
			t.Errorf("output lacks %q:\n%s", msg, out)
		}
	}
	if strings.Contains(out, ref("apache")+": error") {
		t.Errorf("apache bundle has errors:\n%s", out)
	}

	// Research use with redistribution: every bundle passes.
	research := writePolicy(t, "research.json", `{"use": "research", "redistribute": true}`)
	code, out, _ = runCLI(t, "audit", "--plain-http", "--policy", research, ref("apache"), ref("mrl-adapter"), ref("report-only"))
	if code != 0 || strings.Count(out, " pass") != 3 {
		t.Errorf("research policy: exit %d\n%s", code, out)
	}
}

func TestAuditJSON(t *testing.T) {
	reg := testenv.NewRegistry(t)
	repo, err := remote.NewRepository(reg.Host + "/m")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	pushBundle(t, repo, "v1", threeBundles()["mrl-adapter"])
	policy := writePolicy(t, "p.hcl", "use = \"production\"\n")
	code, out, _ := runCLI(t, "audit", "--json", "--plain-http", "--policy", policy, reg.Host+"/m:v1")
	if code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	var results []auditResult
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(results) != 1 || results[0].Verdict != verdictFail || len(results[0].Lineage) != 2 ||
		results[0].Violations[0].Input != "adapter.support (support-lora)" {
		t.Errorf("results = %+v", results)
	}
	if strings.Join(results[0].Sources, ",") != "annotation,report" {
		t.Errorf("sources = %q", results[0].Sources)
	}
}

func TestAuditOCILayout(t *testing.T) {
	dir := t.TempDir()
	s, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := threeBundles()
	pushBundle(t, s, "apache", b["apache"])
	pushBundle(t, s, "research", b["report-only"])
	policy := writePolicy(t, "p.hcl", "use = \"commercial\"\n")
	code, out, _ := runCLI(t, "audit", "--policy", policy, "oci:"+dir+":apache")
	if code != 0 || !strings.Contains(row(out, "oci:"+dir+":apache"), "pass") {
		t.Errorf("exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "audit", "--policy", policy, "oci:"+dir+":research")
	if code != 1 || !strings.Contains(out, "model.base (mistral-large-2407) is under LicenseRef-MRL-0.1") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestAuditOtherTool reads ModelPack bundles that carry only
// descriptor.licenses, as modctl or KitOps' ModelPack mode write them.
func TestAuditOtherTool(t *testing.T) {
	reg := testenv.NewRegistry(t)
	repo, err := remote.NewRepository(reg.Host + "/other")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	pushBundle(t, repo, "nc", testBundle{name: "nc-model", licenses: []string{"CC-BY-NC-4.0"}})
	pushBundle(t, repo, "dual", testBundle{name: "dual", licenses: []string{"Apache-2.0", "MIT OR ISC"}})
	pushBundle(t, repo, "none", testBundle{name: "nolicense"})
	policy := writePolicy(t, "p.hcl", "use = \"commercial\"\n")
	ref := func(tag string) string { return reg.Host + "/other:" + tag }
	code, out, _ := runCLI(t, "audit", "--plain-http", "--policy", policy, ref("nc"), ref("dual"), ref("none"))
	if code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	checks := map[string][]string{
		"nc":   {"CC-BY-NC-4.0", "FAIL"},
		"dual": {"Apache-2.0 AND (MIT OR ISC)", "pass"},
		"none": {" - ", "FAIL"},
	}
	for tag, fields := range checks {
		for _, f := range fields {
			if !strings.Contains(row(out, ref(tag)), f) {
				t.Errorf("row %s lacks %q:\n%s", tag, f, out)
			}
		}
	}
	for _, msg := range []string{
		ref("nc") + ": error: target (nc-model) is under CC-BY-NC-4.0, which forbids commercial use",
		ref("none") + ": error: target (nolicense) has no license information",
		ref("dual") + ": note: target (dual): chose MIT of MIT OR ISC",
	} {
		if !strings.Contains(out, msg) {
			t.Errorf("output lacks %q:\n%s", msg, out)
		}
	}
	allow := writePolicy(t, "p.hcl", "use = \"research\"\nallow_unknown = true\n")
	if code, out, _ := runCLI(t, "audit", "--plain-http", "--policy", allow, ref("none")); code != 0 || !strings.Contains(out, "pass (1 warning)") {
		t.Errorf("allow_unknown: exit %d\n%s", code, out)
	}
}

func TestAuditErrors(t *testing.T) {
	reg := testenv.NewRegistry(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no ref", []string{"audit"}, 2, "requires at least 1 REF"},
		{"missing policy", []string{"audit", "--policy", filepath.Join(dir, "nope.hcl"), "x/y:z"}, 2, "nope.hcl"},
		{"bad policy use", []string{"audit", "--policy", writePolicy(t, "u.hcl", `use = "fun"`), "x/y:z"}, 2, `use "fun"`},
		{"bad policy id", []string{"audit", "--policy", writePolicy(t, "d.hcl", `deny = ["Not A License"]`), "x/y:z"}, 2, "Not A License"},
		{"bad policy syntax", []string{"audit", "--policy", writePolicy(t, "s.hcl", `use = `), "x/y:z"}, 2, "s.hcl"},
		{"unknown tag", []string{"audit", "--plain-http", reg.Host + "/nothing:v1"}, 1, "resolve " + reg.Host + "/nothing:v1"},
		{"bad reference", []string{"audit", "UPPER/Case:x"}, 1, "reference \"UPPER/Case:x\""},
		{"no tag", []string{"audit", "--plain-http", reg.Host + "/repo"}, 1, "resolve " + reg.Host + "/repo"},
		{"layout without tag", []string{"audit", "oci:"}, 1, "empty layout folder"},
		{"not a layout", []string{"audit", "oci:" + dir + ":v1"}, 1, "OCI layout " + dir},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%s: exit %d, output %q %q; want exit %d and %q", tt.name, code, out, errOut, tt.code, tt.want)
		}
	}
}

func TestAuditBadAnnotation(t *testing.T) {
	dir := t.TempDir()
	s, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w := pushBlob(t, ctx, s, specv1.MediaTypeModelWeightRaw, []byte("w"), "w.safetensors")
	desc, err := oras.PackManifest(ctx, s, oras.PackManifestVersion1_1, specv1.MediaTypeModelManifest,
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{w},
			ManifestAnnotations: map[string]string{specv1.AnnotationLineage: "{not json"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, desc, "bad"); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "audit", "oci:"+dir+":bad")
	if code != 1 || !strings.Contains(out, "ERROR") || !strings.Contains(out, "annotation dev.ckpt.lineage") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestAuditExternalRegistry audits bundles in Debian's docker-registry
// (distribution 2.8, no referrers API: the report is found through the
// referrers tag schema).
func TestAuditExternalRegistry(t *testing.T) {
	host := testenv.ExternalRegistry(t)
	repo, err := remote.NewRepository(host + "/ckpt-audit-test")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	b := threeBundles()
	pushBundle(t, repo, "apache", b["apache"])
	pushBundle(t, repo, "report-only", b["report-only"])
	policy := writePolicy(t, "p.hcl", `use = "commercial"`)
	ref := func(tag string) string { return host + "/ckpt-audit-test:" + tag }
	code, out, _ := runCLI(t, "audit", "--plain-http", "--policy", policy, ref("apache"), ref("report-only"))
	if code != 1 || !strings.Contains(row(out, ref("apache")), "pass") || !strings.Contains(row(out, ref("report-only")), "FAIL") ||
		!strings.Contains(out, "model.base (mistral-large-2407) is under LicenseRef-MRL-0.1") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestAuditReportMismatch(t *testing.T) {
	dir := t.TempDir()
	s, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	pushBundle(t, s, "v1", testBundle{name: "m", annotate: true, report: true, license: "Apache-2.0",
		reportLicense: "LicenseRef-MRL-0.1", lineage: []specv1.Lineage{apacheBase}})
	code, out, _ := runCLI(t, "audit", "oci:"+dir+":v1")
	want := `oci:` + dir + `:v1: warning: the manifest says license "Apache-2.0", its license report "LicenseRef-MRL-0.1" [license.mismatch]`
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "pass (1 warning)") {
		t.Errorf("exit %d\n%s\nwant %s", code, out, want)
	}
}
