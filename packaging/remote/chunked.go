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
	"time"

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
	defaultChunkSize      = 64 << 20
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

// chunkedUpload is one blob's chunked upload session.
type chunkedUpload struct {
	repo *remote.Repository
	d    ocispec.Descriptor
	size int64 // of a chunk
	// reopen opens the blob from its source again, at an offset.
	reopen func(ctx context.Context, off int64) (io.ReadCloser, error)
	// progress is told the bytes the registry holds.
	progress func(done int64)
	attempts int
}

// push uploads the blob read from r in chunks. When a chunk fails, it asks
// the registry how much of the upload it holds (GET on the session, whose
// Range header says) and continues from there, reading the source again
// from that offset; when the registry cannot tell (a session it no longer
// accepts: distribution refuses one whose recorded offset moved, as after
// a chunk cut mid-body), it starts a new session. attempts bounds the
// failures in a row.
func (u *chunkedUpload) push(ctx context.Context, r io.Reader) error {
	ctx = auth.AppendRepositoryScope(ctx, u.repo.Reference, auth.ActionPull, auth.ActionPush)
	loc, err := u.start(ctx)
	if err != nil {
		return err
	}
	buf := make([]byte, min(u.size, u.d.Size))
	var off, pos int64 // bytes the registry holds, position of r
	var closer io.Closer
	defer func() {
		if closer != nil {
			closer.Close()
		}
	}()
	for failures, wait := 0, 250*time.Millisecond; ; {
		if pos != off {
			if closer != nil {
				closer.Close()
			}
			rc, err := u.reopen(ctx, off)
			if err != nil {
				return fmt.Errorf("re-open %s at %d: %w", u.d.Digest, off, err)
			}
			r, closer, pos = rc, rc, off
		}
		next, n, err := u.step(ctx, loc, r, buf, off)
		pos += n
		if err == nil && next == nil {
			return nil // the closing PUT was accepted
		}
		if err == nil {
			loc, off, failures, wait = next, off+n, 0, 250*time.Millisecond
			u.progress(off)
			continue
		}
		if failures++; failures >= u.attempts || ctx.Err() != nil {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait *= 2
		if ok, _ := u.repo.Blobs().Exists(ctx, u.d); ok {
			return nil // the closing PUT landed; its answer was lost
		}
		if loc, off, err = u.resume(ctx, loc); err != nil {
			return err
		}
	}
}

// step sends the next chunk at off (read from r into buf), or the closing
// PUT when the registry holds the whole blob (next is then nil). n is the
// bytes read from r.
func (u *chunkedUpload) step(ctx context.Context, loc *url.URL, r io.Reader, buf []byte, off int64) (*url.URL, int64, error) {
	if off >= u.d.Size {
		return nil, 0, u.finish(ctx, loc)
	}
	n, err := io.ReadFull(r, buf[:min(u.size, u.d.Size-off)])
	if err != nil {
		return nil, int64(n), fmt.Errorf("read %s at %d: %w", u.d.Digest, off, err)
	}
	hdr := http.Header{"Content-Type": {"application/octet-stream"},
		"Content-Range": {fmt.Sprintf("%d-%d", off, off+int64(n)-1)}}
	resp, err := do(ctx, u.repo, http.MethodPatch, loc.String(), buf[:n], int64(n), hdr)
	if err != nil {
		return nil, int64(n), fmt.Errorf("upload %s chunk at %d: %w", u.d.Digest, off, err)
	}
	next, err := nextLocation(loc, resp, http.StatusAccepted)
	if err != nil {
		return nil, int64(n), fmt.Errorf("upload %s chunk at %d: %w", u.d.Digest, off, err)
	}
	return next, int64(n), nil
}

// start opens an upload session and returns its location.
func (u *chunkedUpload) start(ctx context.Context) (*url.URL, error) {
	ref := u.repo.Reference
	scheme := "https"
	if u.repo.PlainHTTP {
		scheme = "http"
	}
	base := &url.URL{Scheme: scheme, Host: ref.Host(), Path: "/v2/" + ref.Repository + "/blobs/uploads/"}
	resp, err := do(ctx, u.repo, http.MethodPost, base.String(), nil, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("start upload of %s: %w", u.d.Digest, err)
	}
	loc, err := nextLocation(base, resp, http.StatusAccepted)
	if err != nil {
		return nil, fmt.Errorf("start upload of %s: %w", u.d.Digest, err)
	}
	return loc, nil
}

// resume asks the session at loc how many bytes it holds; a session that
// cannot answer is replaced by a new one (from offset 0).
func (u *chunkedUpload) resume(ctx context.Context, loc *url.URL) (*url.URL, int64, error) {
	resp, err := do(ctx, u.repo, http.MethodGet, loc.String(), nil, 0, nil)
	if err == nil {
		held, ok := uploadedRange(resp)
		if next, lerr := nextLocation(loc, resp, http.StatusNoContent); lerr == nil && ok && held <= u.d.Size {
			return next, held, nil
		}
	}
	next, err := u.start(ctx)
	return next, 0, err
}

// uploadedRange reads the Range header of an upload status ("0-N", or
// "bytes=0-N"): the session holds N+1 bytes. distribution says "0-0" for
// an empty session too; it is read as empty (resending one byte is safe).
func uploadedRange(resp *http.Response) (int64, bool) {
	v := strings.TrimPrefix(resp.Header.Get("Range"), "bytes=")
	start, end, ok := strings.Cut(v, "-")
	if !ok || start != "0" {
		return 0, false
	}
	n, err := strconv.ParseInt(end, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n == 0 {
		return 0, true
	}
	return n + 1, true
}

// finish closes the session with PUT ?digest=.
func (u *chunkedUpload) finish(ctx context.Context, loc *url.URL) error {
	put := *loc
	q := put.Query()
	q.Set("digest", u.d.Digest.String())
	put.RawQuery = q.Encode()
	resp, err := do(ctx, u.repo, http.MethodPut, put.String(), nil, 0, nil)
	if err != nil {
		return fmt.Errorf("finish upload of %s: %w", u.d.Digest, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("finish upload of %s: %s", u.d.Digest, resp.Status)
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
