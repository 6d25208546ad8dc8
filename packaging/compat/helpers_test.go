package compat_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
)

// fixtures is the shared real-file fixture folder (../shared/fixtures from
// the repository root).
func fixtures(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "..", "shared", "fixtures"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s: %v", p, err)
	}
	return p
}

// versionTemplate writes mistral-common's own chat template for the
// tokenizer version of dir's tokenizer file (a real, canonical template)
// as chat_template.jinja; a file whose version mistral-common does not
// know keeps the folder's template.
func versionTemplate(t testing.TB, dir string) {
	t.Helper()
	v, _, err := chatfmt.DetectVersion(dir)
	if err != nil {
		return
	}
	name := fmt.Sprintf("v%d", v.N)
	if v.SPM {
		name += "_spm"
	}
	src, err := os.ReadFile(filepath.Join(fixtures(t, "mistral-common", "chat_templates"), name+".jinja"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), src, 0o644); err != nil {
		t.Fatal(err)
	}
}
