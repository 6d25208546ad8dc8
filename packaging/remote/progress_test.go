package remote

import (
	"context"
	"sync"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// TestPullReportsBytes: a pull reports bytes while a large blob downloads,
// not only when it is done, so a terminal can draw a live bar.
func TestPullReportsBytes(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	m := testModel(20 << 20)
	layout, _ := bundle(t, m, modelpack.Options{})
	dst, _ := ParseRef(reg.Host + "/models/big:v1")
	if _, err := Push(ctx, layout, "bundle", dst, PushOptions{Options: Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var partial []int64
	progress := func(e Event) {
		if e.Action == "pull" && e.Desc.Size >= 20<<20 {
			mu.Lock()
			partial = append(partial, e.Done)
			mu.Unlock()
		}
	}
	opts := PullOptions{Options: Options{PlainHTTP: true, Progress: progress}}
	if _, err := Pull(ctx, dst, t.TempDir(), opts); err != nil {
		t.Fatal(err)
	}
	if len(partial) < 2 || partial[0] >= 20<<20 || partial[len(partial)-1] != 20<<20 {
		t.Fatalf("pull progress of a 20 MiB blob = %v, want increasing counts ending at %d", partial, 20<<20)
	}
}
