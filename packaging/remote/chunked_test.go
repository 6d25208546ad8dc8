package remote

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"oras.land/oras-go/v2/registry/remote"
)

type methodLog struct {
	mu    sync.Mutex
	count map[string]int
}

func (m *methodLog) RoundTrip(req *http.Request) (*http.Response, error) {
	m.mu.Lock()
	m.count[req.Method]++
	m.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestPushChunked(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	m := testModel(300 << 10)
	layout, d := bundle(t, m, modelpack.Options{})
	dst, _ := ParseRef(reg.Host + "/models/chunked:v1")
	log := &methodLog{count: map[string]int{}}
	opts := PushOptions{Options: Options{PlainHTTP: true, HTTPClient: &http.Client{Transport: log}}, ChunkSize: 64 << 10}
	got, err := Push(ctx, layout, "bundle", dst, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != d.Digest {
		t.Fatalf("pushed %s", got.Digest)
	}
	if log.count[http.MethodPatch] != 5 { // ceil(300 KiB / 64 KiB) for the weights
		t.Errorf("%d PATCH requests, want 5", log.count[http.MethodPatch])
	}
	out := t.TempDir()
	if _, err := Pull(ctx, dst, out, PullOptions{Options: Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, out, m)
}

func TestChunkPlan(t *testing.T) {
	repo, _ := remote.NewRepository("ghcr.io/a/b")
	big := testDesc(1 << 30)
	if chunkPlan(repo, big, PushOptions{}) != 0 {
		t.Error("ghcr.io chunked")
	}
	repo, _ = remote.NewRepository("registry.example.com/a/b")
	if chunkPlan(repo, big, PushOptions{}) != defaultChunkSize || chunkPlan(repo, testDesc(1<<20), PushOptions{}) != 0 ||
		chunkPlan(repo, big, PushOptions{ChunkSize: -1}) != 0 {
		t.Error("chunk plan")
	}
}
