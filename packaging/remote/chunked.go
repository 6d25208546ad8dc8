package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// Chunked uploads: oras-go v2.7.0 only does a monolithic PUT, which some
// registries refuse for large bodies (quay.io > 20 GB, Cloudflare-fronted
// registries 413) and which cannot be retried in part. A blob of at least
// chunkThreshold bytes is sent as a POST, PATCHes of chunkSize bytes
// (Content-Range), and a closing PUT ?digest=. Registries known to mishandle
// PATCH (ghcr.io answers 416 above 4 MiB, Google Artifact Registry/GCR do not
// chunk, ECR answers 201 after the first chunk) always get the monolithic
// upload.
const (
	defaultChunkSize      = 256 << 20
	defaultChunkThreshold = 512 << 20
)

// chunkPlan returns the chunk size for blob d on repo, or 0 for a
// monolithic upload.
func chunkPlan(repo *remote.Repository, d ocispec.Descriptor, opts PushOptions) int64 {
	size, threshold := opts.ChunkSize, int64(defaultChunkThreshold)
	switch {
	case size < 0:
		return 0
	case size == 0:
		size = defaultChunkSize
	default:
		threshold = size + 1
	}
	if d.Size < threshold || monolithicOnly(repo.Reference.Host()) {
		return 0
	}
	return size
}

func monolithicOnly(host string) bool {
	h, _, _ := strings.Cut(host, ":")
	return h == "ghcr.io" || h == "gcr.io" || strings.HasSuffix(h, ".gcr.io") ||
		strings.HasSuffix(h, "-docker.pkg.dev") || strings.HasSuffix(h, ".amazonaws.com")
}

// pushChunked uploads blob d from r in chunks of size bytes.
func pushChunked(ctx context.Context, repo *remote.Repository, d ocispec.Descriptor, r io.Reader, size int64) error {
	ref := repo.Reference
	ctx = auth.AppendRepositoryScope(ctx, ref, auth.ActionPull, auth.ActionPush)
	scheme := "https"
	if repo.PlainHTTP {
		scheme = "http"
	}
	base := &url.URL{Scheme: scheme, Host: ref.Host(), Path: "/v2/" + ref.Repository + "/blobs/uploads/"}
	resp, err := do(ctx, repo, http.MethodPost, base.String(), nil, 0, nil)
	if err != nil {
		return err
	}
	loc, err := nextLocation(base, resp, http.StatusAccepted)
	if err != nil {
		return fmt.Errorf("start upload of %s: %w", d.Digest, err)
	}
	buf := make([]byte, min(size, d.Size))
	for off := int64(0); off < d.Size; {
		n, err := io.ReadFull(r, buf[:min(size, d.Size-off)])
		if err != nil {
			return fmt.Errorf("read %s at %d: %w", d.Digest, off, err)
		}
		hdr := http.Header{"Content-Type": {"application/octet-stream"},
			"Content-Range": {fmt.Sprintf("%d-%d", off, off+int64(n)-1)}}
		resp, err := do(ctx, repo, http.MethodPatch, loc.String(), buf[:n], int64(n), hdr)
		if err != nil {
			return err
		}
		if loc, err = nextLocation(loc, resp, http.StatusAccepted); err != nil {
			return fmt.Errorf("upload %s chunk at %d: %w", d.Digest, off, err)
		}
		off += int64(n)
	}
	q := loc.Query()
	q.Set("digest", d.Digest.String())
	loc.RawQuery = q.Encode()
	resp, err = do(ctx, repo, http.MethodPut, loc.String(), nil, 0, nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("finish upload of %s: %s", d.Digest, resp.Status)
	}
	return nil
}

// do sends one request; the body is a byte slice so that the retry client
// can rewind it.
func do(ctx context.Context, repo *remote.Repository, method, u string, body []byte, n int64, hdr http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = n
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Length", strconv.FormatInt(n, 10))
	return repo.Client.Do(req)
}

// nextLocation checks the status and resolves the Location header.
func nextLocation(base *url.URL, resp *http.Response, want int) (*url.URL, error) {
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, fmt.Errorf("%s %s: %s: %s", resp.Request.Method, resp.Request.URL.Path, resp.Status, bytes.TrimSpace(b))
	}
	loc, err := base.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return nil, fmt.Errorf("%s: no usable Location header", resp.Request.URL.Path)
	}
	return loc, nil
}
