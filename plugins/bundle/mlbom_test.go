package bundle

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/mlbom"
	"github.com/ckpt-dev/ckpt/packaging/remote"
)

// checkMLBOM pulls the ML-BOM referrer of the bundle rep describes,
// validates it against the CycloneDX 1.6 schema and checks that it lists
// every layer with its digest, and nothing else.
func checkMLBOM(t *testing.T, layout string, rep *remote.Report) {
	t.Helper()
	var ref string
	for _, r := range rep.Referrers {
		if r.ArtifactType == mlbom.MediaType {
			ref = r.Digest
		}
	}
	pulled := t.TempDir()
	if _, err := remote.Pull(context.Background(), remote.Ref{Dir: layout, Reference: ref}, pulled, remote.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(pulled, FileMLBOM))
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateCycloneDX(t, doc)
	files, err := mlbom.Files(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(rep.Files) {
		t.Errorf("ML-BOM lists %d files, the manifest %d: %v", len(files), len(rep.Files), files)
	}
	for _, f := range rep.Files {
		if got := files[f.Path]; got.String() != f.Digest {
			t.Errorf("ML-BOM: %s is %s, the layer %s", f.Path, got, f.Digest)
		}
	}
}
