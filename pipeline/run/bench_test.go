package run_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// BenchmarkNoopRebuild rebuilds a 10-step spec whose every step is cached:
// cache key (with a path fingerprint), index lookup and metadata read per
// step, plus the ledger entry. Spec loading and planning are included, as
// in `ckpt build`.
func BenchmarkNoopRebuild(b *testing.B) {
	var src strings.Builder
	src.WriteString("model \"t\" \"s0\" { path = \"./weights\" }\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&src, "merge \"t\" \"s%d\" { from = %s.s%d }\n", i, map[bool]string{true: "model", false: "merge"}[i == 1], i-1)
	}
	p := newProject(b, src.String())
	os.MkdirAll(filepath.Join(p.dir, "weights"), 0o755)
	os.WriteFile(filepath.Join(p.dir, "weights", "model.safetensors"), []byte("w"), 0o644)
	ctx := context.Background()
	if _, err := p.build(b, ctx, run.Options{}); err != nil {
		b.Fatal(err)
	}
	calls := p.exec.calls.Load()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.build(b, ctx, run.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if p.exec.calls.Load() != calls {
		b.Fatal("a cached rebuild ran a step")
	}
}
