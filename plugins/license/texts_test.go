package license

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestRunJudgesShippedTexts: a model declared Apache-2.0 whose LICENSE is
// the Mistral AI Research License is refused, naming the file, the
// declared and the detected license; with the Apache text it passes. The
// report records what the texts say either way.
func TestRunJudgesShippedTexts(t *testing.T) {
	mrl, err := os.ReadFile("../../packaging/license/reference/MRL-0.1.md")
	must(t, err)
	apache, ok := lic.Text("Apache-2.0")
	if !ok {
		t.Fatal("no Apache-2.0 text")
	}
	cases := []struct {
		name    string
		text    []byte
		errors  int
		detects string
	}{
		{"MRL text declared Apache-2.0", mrl, 1, "LicenseRef-MRL-0.1"},
		{"Apache text", apache, 0, "Apache-2.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			must(t, os.WriteFile(filepath.Join(dir, "LICENSE"), c.text, 0o644))
			must(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{}`), 0o644))
			out := t.TempDir()
			target := specv1.Metadata{Kind: "model", ID: "support-7b", License: "Apache-2.0"}
			req := &specv1.RunRequest{Step: "check.release", Config: []byte(`{"target":"model.base","use":"commercial"}`),
				Inputs:    []specv1.Input{{Step: "model.base", Attr: "target", Dir: dir, Metadata: target}},
				OutputDir: out}
			ev := &events{}
			m, err := comp().Run(context.Background(), req, ev)
			must(t, err)
			var errs []specv1.Finding
			for _, f := range m.Findings {
				if f.Severity == specv1.SeverityError {
					errs = append(errs, f)
				}
			}
			if len(errs) != c.errors {
				t.Fatalf("error findings = %+v, want %d", errs, c.errors)
			}
			if c.errors > 0 {
				f := errs[0]
				if f.Code != lic.CodeDeclaredMismatch || f.File != "LICENSE" ||
					!strings.Contains(f.Message, "LicenseRef-MRL-0.1") || !strings.Contains(f.Message, "declared license is Apache-2.0") {
					t.Errorf("finding = %+v", f)
				}
				if !ev.has(f.Message) {
					t.Errorf("log lacks the finding: %q", ev.logs)
				}
			}
			rb, err := os.ReadFile(filepath.Join(out, FileReport))
			must(t, err)
			r, err := lic.ParseReport(rb)
			must(t, err)
			if len(r.Texts) == 0 || r.Texts[0].File != "LICENSE" || r.Texts[0].ID != c.detects {
				t.Errorf("report texts = %+v, want LICENSE as %s", r.Texts, c.detects)
			}
		})
	}
}
