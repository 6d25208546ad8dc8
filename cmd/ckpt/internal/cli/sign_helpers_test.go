package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// referrerFile pulls the file name of the referrer of type artifactType
// attached to ref.
func referrerFile(t *testing.T, ref ckptremote.Ref, opts ckptremote.Options, artifactType, name string) []byte {
	t.Helper()
	ctx := context.Background()
	rep, err := ckptremote.Inspect(ctx, ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Referrers {
		if r.ArtifactType != artifactType {
			continue
		}
		at := ref
		at.Reference = r.Digest
		dir := t.TempDir()
		if _, err := ckptremote.Pull(ctx, at, dir, ckptremote.PullOptions{Options: opts}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Fatalf("%s has no %s referrer: %+v", ref, artifactType, rep.Referrers)
	return nil
}

// layoutLicenseReport reads the license report attached to the bundle
// tagged tag in the layout dir.
func layoutLicenseReport(t *testing.T, dir, tag string) *lic.Report {
	t.Helper()
	b := referrerFile(t, ckptremote.Ref{Dir: dir, Reference: tag}, ckptremote.Options{}, specv1.ArtifactTypeLicenseReport, "license-report.json")
	r, err := lic.ParseReport(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
