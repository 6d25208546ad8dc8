package spec_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
	"github.com/ckpt-dev/ckpt/pipeline/spec/spectest"
)

// maxFuzzMemory is what a fuzz process may obtain from the OS in all.
const maxFuzzMemory = 1 << 30

// FuzzLoad loads arbitrary bytes as a spec file: loading may report
// diagnostics but must never panic, print a stack trace or use more than
// maxFuzzMemory. The crash specs of issue 16 are seeds.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../../specs/testdata/*/*.ckpt.hcl")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`variable "x" { validation { condition = var.x error_message = "" } }`))
	f.Add([]byte("locals {\n a = local.a\n}\n"))
	f.Add([]byte(deepParens()))
	f.Add([]byte(doublingLocals()))
	f.Add([]byte("locals { x = [" + strings.Repeat("1,", 150_000) + "1] }\n"))
	dir := f.TempDir()
	path := filepath.Join(dir, "main.ckpt.hcl")
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		_, diags := spec.Load(t.Context(), dir, spec.Options{Vars: []string{"x=1"}})
		checkFuzzResult(t, diags)
	})
}

// FuzzExpressions loads specs whose values are random expression trees
// (spectest.Spec): the same guarantees as FuzzLoad.
func FuzzExpressions(f *testing.F) {
	for _, s := range []string{"", "\x08\x03\x05\x0a", "\x0a\x08\x00\x03\x03\x08\x00\x03\x03", strings.Repeat("\x0a\x09", 40),
		strings.Repeat("\x0c\x03\x03\x05", 20), strings.Repeat("\x08\x13\x0b", 30)} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "main.ckpt.hcl")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, []byte(spectest.Spec(data)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, diags := spec.Load(t.Context(), dir, spec.Options{})
		checkFuzzResult(t, diags)
	})
}

// checkFuzzResult fails on a diagnostic that shows a stack trace and on a
// process that obtained more than maxFuzzMemory from the OS (the runtime
// keeps what it obtained, so this is a high-water mark).
func checkFuzzResult(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if strings.Contains(d.Detail, "goroutine ") || strings.Contains(d.Detail, "panic") {
			t.Fatalf("diagnostic with a stack trace: %s: %s", d.Summary, d.Detail)
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if m.Sys > maxFuzzMemory {
		t.Fatalf("the process obtained %d MiB from the OS", m.Sys>>20)
	}
}
