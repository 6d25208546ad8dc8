package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestPushSpecTwoFolders builds and pushes the quickstart from two
// different folders with the real binary: the bundles (and their license
// report and provenance) have the same digests, and the registry push step
// publishes the bundle with its referrers.
func TestPushSpecTwoFolders(t *testing.T) {
	reg := testenv.NewRegistry(t)
	var reports []ckptremote.Report
	for i := range 2 {
		dir := quickstartProject(t)
		if i == 1 { // a deeper folder
			deeper := filepath.Join(t.TempDir(), "a", "b")
			if err := os.MkdirAll(filepath.Dir(deeper), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(dir, deeper); err != nil {
				t.Fatal(err)
			}
			dir = deeper
		}
		f, err := os.OpenFile(filepath.Join(dir, "quickstart.ckpt.hcl"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("\npush \"registry\" \"reg\" {\n  bundle = bundle.release\n  ref    = \"" + reg.Host + "/support:v1\"\n}\n")
		f.Close()
		code, out, errOut := ckptProc(t, nil, "push", dir, "--plain-http")
		if code != 0 {
			t.Fatalf("ckpt push %s: exit %d\n%s\n%s", dir, code, out, errOut)
		}
		code, out, errOut = ckptProc(t, nil, "inspect", "oci:"+filepath.Join(dir, "out", "oci")+":2026-11-27", "--json")
		var rep ckptremote.Report
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("inspect: %d %s %s", code, out, errOut)
		}
		reports = append(reports, rep)
	}
	a, b := reports[0], reports[1]
	if a.Digest != b.Digest || len(a.Referrers) != 3 || len(b.Referrers) != 3 || a.Referrers[0].Digest != b.Referrers[0].Digest ||
		a.Referrers[1].Digest != b.Referrers[1].Digest || a.Referrers[2].Digest != b.Referrers[2].Digest {
		t.Fatalf("two folders, different bundles:\n%+v\n%+v", a, b)
	}
	ref, _ := ckptremote.ParseRef(reg.Host + "/support:v1")
	pushed, err := ckptremote.Inspect(context.Background(), ref, ckptremote.Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if pushed.Digest != a.Digest || len(pushed.Referrers) != 3 || pushed.Referrers[2].ArtifactType != specv1.ArtifactTypeProvenance {
		t.Errorf("registry has %+v", pushed)
	}
}
