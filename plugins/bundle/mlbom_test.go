package bundle

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mlbom"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/santhosh-tekuri/jsonschema/v6"
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
	validateCycloneDX(t, doc)
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

// validateCycloneDX validates doc with the schema packaging/mlbom vendors.
func validateCycloneDX(t *testing.T, doc []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, f := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "packaging", "mlbom", "testdata", "schema", f))
		if err != nil {
			t.Fatal(err)
		}
		s, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+f, s); err != nil {
			t.Fatal(err)
		}
	}
	c.AssertFormat()
	s, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("the ML-BOM does not validate against CycloneDX 1.6: %v\n%s", err, doc)
	}
}
