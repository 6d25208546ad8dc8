package cli

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// buildLicensedBundle builds, as the bundle step does, a ModelPack layout
// of meta's files plus its LICENSE and NOTICE, with the license report
// (JSON and SPDX) attached as a referrer. It returns the layout folder.
func buildLicensedBundle(t *testing.T, meta *specv1.Metadata) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "model")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	contents := lic.Files(meta)
	contents["consolidated.safetensors"] = []byte("tiny weights")
	contents["params.json"] = []byte(`{"dim": 8}`)
	var files []modelpack.File
	for name, c := range contents {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, c, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, modelpack.File{Path: name, Src: p, Mode: 0o644, Size: int64(len(c))})
	}
	layout := filepath.Join(dir, "layout")
	l, err := modelpack.CreateLayout(layout)
	if err != nil {
		t.Fatal(err)
	}
	d, err := modelpack.Build(ctx, l, files, modelpack.Options{Name: meta.ID, Metadata: meta, Tag: "bundle"})
	if err != nil {
		t.Fatal(err)
	}
	r := lic.NewReport(meta, d.Digest.String())
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	spdx, err := r.SPDX()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := modelpack.Attach(l, d, specv1.ArtifactTypeLicenseReport, []modelpack.Blob{
		{MediaType: "application/json", Title: "license-report.json", Data: js},
		{MediaType: "application/spdx+json", Title: "license-report.spdx.json", Data: spdx},
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return layout
}

func TestLineageSurvivesPushAndPull(t *testing.T) {
	ctx := context.Background()
	meta := &specv1.Metadata{Kind: "merge", ID: "support-assistant", License: lic.And(apacheBase.License, mrlAdapter.License),
		Lineage: []specv1.Lineage{apacheBase, mrlAdapter}}
	layout := buildLicensedBundle(t, meta)
	reg := testenv.NewRegistry(t)
	opts := ckptremote.Options{PlainHTTP: true}
	dst, err := ckptremote.ParseRef(reg.Host + "/support:2026-11-27")
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := ckptremote.Push(ctx, layout, "bundle", dst, ckptremote.PushOptions{Options: opts})
	if err != nil {
		t.Fatal(err)
	}

	pulled := t.TempDir()
	res, err := ckptremote.Pull(ctx, dst, pulled, ckptremote.PullOptions{Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Digest != pushed.Digest {
		t.Errorf("pulled %s, pushed %s", res.Manifest.Digest, pushed.Digest)
	}
	if res.Artifact.License != meta.License || !reflect.DeepEqual(res.Artifact.Lineage, meta.Lineage) {
		t.Errorf("pulled license %q lineage %+v\nwant %q %+v", res.Artifact.License, res.Artifact.Lineage, meta.License, meta.Lineage)
	}
	notice, err := os.ReadFile(filepath.Join(pulled, "NOTICE"))
	if err != nil || !strings.Contains(string(notice), "Licensed by Mistral AI under the Mistral AI Research License") {
		t.Errorf("pulled NOTICE: %q, %v", notice, err)
	}

	// The auditor sees the same lineage, from the annotations and the report.
	policy := writePolicy(t, "p.hcl", `use = "commercial"`)
	code, out, _ := runCLI(t, "audit", "--json", "--plain-http", "--policy", policy, dst.String())
	if code != 1 {
		t.Errorf("audit exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{`"digest": "` + pushed.Digest.String(), `"annotation"`, `"report"`,
		`"input": "adapter.support (support-lora)"`, `"id": "mistral-7b-instruct-v0.3"`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit output lacks %s:\n%s", want, out)
		}
	}
	// And the layout the bundle was built in audits the same.
	code, out, _ = runCLI(t, "audit", "--policy", policy, "oci:"+layout+":bundle")
	if code != 1 || !strings.Contains(out, "adapter.support (support-lora) is under LicenseRef-MRL-0.1") {
		t.Errorf("layout audit exit %d\n%s", code, out)
	}
}
