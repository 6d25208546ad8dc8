package license

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata goldens")

// TestGoldens pins the report, SPDX, LICENSE and NOTICE of an Apache-2.0
// base merged with an MRL adapter: the outputs are deterministic.
func TestGoldens(t *testing.T) {
	m := mergedMRL()
	r := NewReport(m, "sha256:"+strings.Repeat("cd", 32))
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	sp, err := r.SPDX()
	if err != nil {
		t.Fatal(err)
	}
	files := Files(m)
	for name, got := range map[string][]byte{"report.json": js, "report.spdx.json": sp, "NOTICE": files["NOTICE"]} {
		p := filepath.Join("testdata", "merged-mrl."+name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (go test -run Goldens -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n%s", name, p, got)
		}
	}
}
