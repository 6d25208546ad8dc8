package plan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

// FuzzPlan plans arbitrary bytes as a spec with the built-in schemas: it
// may report diagnostics but must never panic.
func FuzzPlan(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(testdata, "*", "*.ckpt.hcl"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(pipelineSpec))
	r := builtins(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		sp, _ := spec.Load(t.Context(), dir, spec.Options{})
		if sp == nil {
			return
		}
		g, _ := plan.New(sp, r)
		for _, s := range g.Steps {
			_, _ = g.Resolve(s, map[string]map[string]string{"model.base": {"id": "x"}})
		}
	})
}

// BenchmarkPlan plans a spec of 50 adapters merged into one model, each
// with a runtime check gating one bundle.
func BenchmarkPlan(b *testing.B) {
	var src strings.Builder
	src.WriteString("model \"dir\" \"base\" {\n  path = \".\"\n  id   = \"m\"\n}\n")
	var adapters []string
	for i := range 50 {
		fmt.Fprintf(&src, "adapter \"peft\" \"a%d\" {\n  path = \".\"\n  base = model.base\n  id = \"${model.base.id}-%d\"\n}\n", i, i)
		fmt.Fprintf(&src, "check \"runtime\" \"c%d\" {\n  target = adapter.a%d\n}\n", i, i)
		adapters = append(adapters, fmt.Sprintf("adapter.a%d", i))
	}
	fmt.Fprintf(&src, "merge \"lora\" \"m\" {\n  base = model.base\n  adapters = [%s]\n}\n", strings.Join(adapters, ", "))
	src.WriteString("bundle \"modelpack\" \"b\" {\n  from = merge.m\n  name = \"x\"\n}\n")
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(src.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	r := builtins(b)
	b.ReportAllocs()
	for b.Loop() {
		sp, diags := spec.Load(b.Context(), dir, spec.Options{})
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		if _, diags := plan.New(sp, r); diags.HasErrors() {
			b.Fatal(diags.Error())
		}
	}
}
