package plan_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
	"github.com/ckpt-dev/ckpt/pipeline/spec/spectest"
)

// FuzzPlanExpressions plans specs whose values are random expression trees
// (spectest.Spec) with the built-in schemas and resolves every step: no
// panic, no stack trace in a diagnostic, and the process never obtains
// more than 1 GiB from the OS.
func FuzzPlanExpressions(f *testing.F) {
	for _, s := range []string{"", "\x08\x03\x05\x0a", strings.Repeat("\x0a\x09", 40), strings.Repeat("\x0c\x03\x03\x05", 20)} {
		f.Add([]byte(s))
	}
	r := builtins(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(spectest.Spec(data)), 0o644); err != nil {
			t.Fatal(err)
		}
		sp, diags := spec.Load(t.Context(), dir, spec.Options{})
		if sp == nil {
			return
		}
		g, ds := plan.New(sp, r)
		diags = append(diags, ds...)
		for _, s := range g.Steps {
			_, ds := g.Resolve(s, map[string]map[string]string{"model.base": {"id": "x"}})
			diags = append(diags, ds...)
		}
		noTraces(t, diags)
	})
}

func noTraces(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if strings.Contains(d.Detail, "goroutine ") || strings.Contains(d.Detail, "panic") {
			t.Fatalf("diagnostic with a stack trace: %s: %s", d.Summary, d.Detail)
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if m.Sys > 1<<30 {
		t.Fatalf("the process obtained %d MiB from the OS", m.Sys>>20)
	}
}
