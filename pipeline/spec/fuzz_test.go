package spec_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

// FuzzLoad loads arbitrary bytes as a spec file: loading may report
// diagnostics but must never panic.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../../specs/testdata/*/*.ckpt.hcl")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`variable "x" { validation { condition = var.x error_message = "" } }`))
	f.Add([]byte("locals {\n a = local.a\n}\n"))
	dir := f.TempDir()
	path := filepath.Join(dir, "main.ckpt.hcl")
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = spec.Load(t.Context(), dir, spec.Options{Vars: []string{"x=1"}})
	})
}
