package remote

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestInspectLicenseSources: the license comes from the manifest
// annotation first; a report that disagrees is noted, one that cannot be
// read is an error naming it.
func TestInspectLicenseSources(t *testing.T) {
	ctx := context.Background()
	layout, _ := bundle(t, testModel(1<<10), modelpack.Options{})
	rep, err := Inspect(ctx, Ref{Dir: layout}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.License != "Apache-2.0" || strings.Join(rep.LicenseSources, ",") != "annotation,report" || rep.LicenseMismatch != "" {
		t.Errorf("license %q from %v, mismatch %q", rep.License, rep.LicenseSources, rep.LicenseMismatch)
	}

	l, err := modelpack.CreateLayout(filepath.Join(t.TempDir(), "layout"))
	if err != nil {
		t.Fatal(err)
	}
	files := writeFiles(t, t.TempDir(), testModel(1<<10))
	d, err := modelpack.Build(ctx, l, files, modelpack.Options{Tag: "bundle", Metadata: &specv1.Metadata{License: "MIT"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := modelpack.Attach(l, d, specv1.ArtifactTypeLicenseReport, []modelpack.Blob{
		{MediaType: "application/json", Title: "license-report.json", Data: []byte(`{"version":"0"}`)}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := Inspect(ctx, Ref{Dir: l.Dir()}, Options{}); err == nil || !strings.Contains(err.Error(), "license report") {
		t.Errorf("unreadable report: err = %v", err)
	}
}
