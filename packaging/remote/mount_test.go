package remote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// cached puts every file of a bundle layout in the registry repository
// repo as a blob (as a remote cache entry holds a bundle step's files) and
// returns the repository and what a push of an empty folder misses.
func cached(t *testing.T, layout string, repo Ref) (content.Fetcher, map[string]ocispec.Descriptor) {
	t.Helper()
	r, err := Repository(t.Context(), repo, Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	missing := map[string]ocispec.Descriptor{}
	err = filepath.WalkDir(layout, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(layout, p)
		desc := content.NewDescriptorFromBytes("application/octet-stream", b)
		missing[filepath.ToSlash(rel)] = desc
		if ok, _ := r.Exists(t.Context(), desc); !ok {
			return r.Push(t.Context(), desc, bytes.NewReader(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, missing
}

func TestPushFromCacheMountsOrStreams(t *testing.T) {
	ctx := context.Background()
	reg, other := testenv.NewRegistry(t), testenv.NewRegistry(t)
	proxy := testenv.StartProxy(t, reg.Host)
	m := testModel(6 << 20)
	layout, want := bundle(t, m, modelpack.Options{Name: "tiny"})
	cacheRepo := Ref{Repository: proxy.Host + "/ci/cache"}
	fallback, missing := cached(t, layout, cacheRepo)
	weights := content.NewDescriptorFromBytes("", m["consolidated.safetensors"]).Digest.String()
	empty := t.TempDir() // runner B's input folder: every file stays in the cache
	var mounted int
	opts := PushOptions{Options: Options{PlainHTTP: true, Progress: func(e Event) {
		if e.Action == "mount" {
			mounted++
		}
	}}, MountFrom: []string{cacheRepo.Repository}, Missing: missing, Fallback: fallback}

	// Same registry: every blob is mounted, none moves.
	proxy.Reset()
	got, err := Push(ctx, empty, "bundle", Ref{Repository: proxy.Host + "/models/b", Reference: "v1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != want.Digest {
		t.Errorf("pushed %s, built %s", got.Digest, want.Digest)
	}
	if up, n := proxy.BlobBytesUp(), proxy.Fetched()[weights]; up != 0 || n != 0 {
		t.Errorf("a push to the cache's registry sent %d blob bytes and read %d of the weights", up, n)
	}
	if mounted == 0 {
		t.Error("no blob was mounted")
	}
	// Again: the target has every blob, nothing is even mounted.
	mounted = 0
	if _, err := Push(ctx, empty, "bundle", Ref{Repository: proxy.Host + "/models/b", Reference: "v2"}, opts); err != nil || mounted != 0 {
		t.Errorf("second push: %d mounts, %v", mounted, err)
	}

	// Another registry: the weights are streamed from the cache, once, verified.
	proxy.Reset()
	dst := Ref{Repository: other.Host + "/models/c", Reference: "v1"}
	got, err = Push(ctx, empty, "bundle", dst, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := proxy.Fetched()[weights]; got.Digest != want.Digest || n != int64(len(m["consolidated.safetensors"])) {
		t.Errorf("pushed %s (want %s), read %d bytes of the %d-byte weights from the cache", got.Digest, want.Digest, n, len(m["consolidated.safetensors"]))
	}
	out := t.TempDir()
	if _, err := Pull(ctx, dst, out, PullOptions{Options: Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, out, m)
}

// tampered serves other bytes than the descriptor's for one digest.
type tampered struct {
	content.Fetcher
	bad digest.Digest
}

func (f tampered) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	if d.Digest != f.bad {
		return f.Fetcher.Fetch(ctx, d)
	}
	return io.NopCloser(bytes.NewReader(bytes.Repeat([]byte{1}, int(d.Size)))), nil
}

func TestPushFromCacheRefusesBadOrLostBlobs(t *testing.T) {
	ctx := context.Background()
	reg, other := testenv.NewRegistry(t), testenv.NewRegistry(t)
	m := testModel(6 << 20)
	layout, _ := bundle(t, m, modelpack.Options{Name: "tiny"})
	cacheRepo := Ref{Repository: reg.Host + "/ci/cache"}
	fallback, missing := cached(t, layout, cacheRepo)
	weights := content.NewDescriptorFromBytes("application/octet-stream", m["consolidated.safetensors"])
	opts := PushOptions{Options: Options{PlainHTTP: true}, Attempts: 1, MountFrom: []string{cacheRepo.Repository}, Missing: missing}

	opts.Fallback = tampered{Fetcher: fallback, bad: weights.Digest}
	_, err := Push(ctx, t.TempDir(), "bundle", Ref{Repository: other.Host + "/models/x", Reference: "v1"}, opts)
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), weights.Digest.String()) {
		t.Errorf("weights tampered with in the cache: %v", err)
	}

	// The cache lost the weights: neither a mount nor a copy can work.
	r, _ := Repository(ctx, cacheRepo, Options{PlainHTTP: true})
	if err := r.Blobs().Delete(ctx, weights); err != nil {
		t.Fatal(err)
	}
	opts.Fallback = fallback
	for _, dst := range []string{reg.Host + "/models/y", other.Host + "/models/y"} {
		_, err := Push(ctx, t.TempDir(), "bundle", Ref{Repository: dst, Reference: "v1"}, opts)
		if err == nil || !strings.Contains(err.Error(), weights.Digest.String()) || !strings.Contains(err.Error(), "not in the layout folder") {
			t.Errorf("push to %s of a bundle whose cache lost its weights: %v", dst, err)
		}
	}
}
