package remote

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

func newGzipReader(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }

// ranger fetches byte ranges of a blob (registries).
type ranger interface {
	fetchRange(ctx context.Context, d ocispec.Descriptor, off, n int64) (io.ReadCloser, error)
	// loopback tells a registry on this machine, where parallel ranges only
	// add work (measured: one stream is faster).
	loopback() bool
}

var errNoRanges = errors.New("registry does not serve byte ranges")

func useRanges(d ocispec.Descriptor, opts PullOptions, loopback bool) bool {
	t := opts.RangeThreshold
	if t == 0 {
		if loopback {
			return false
		}
		t = 64 << 20
	}
	return t > 0 && d.Size >= t
}

// fetchSequential writes blob d from offset have to f (hashing into h,
// which already holds the first have bytes), seeking the source (Range)
// when it can, else starting over. It returns the bytes fetched now.
func fetchSequential(ctx context.Context, s source, f *os.File, d ocispec.Descriptor, have int64, h hash.Hash, opts PullOptions) (int64, error) {
	rc, err := s.Fetch(ctx, d)
	if err != nil {
		return 0, fmt.Errorf("fetch: %w", err)
	}
	defer rc.Close()
	if have > 0 {
		sk, ok := rc.(io.Seeker)
		if !ok {
			have = 0
		} else if _, err := sk.Seek(have, io.SeekStart); err != nil {
			have = 0
		}
		if have == 0 {
			h.Reset()
		}
	}
	if err := f.Truncate(have); err != nil {
		return 0, err
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return 0, err
	}
	body := &progressReader{r: io.LimitReader(rc, d.Size-have), d: d, opts: opts.Options, action: "pull", n: have, last: have}
	n, err := io.CopyBuffer(io.MultiWriter(f, h), body, make([]byte, 1<<20))
	if err != nil {
		return n, fmt.Errorf("fetch after %d bytes: %w", have+n, err)
	}
	if have+n != d.Size {
		return n, fmt.Errorf("blob %s truncated: %d of %d bytes: %w", d.Digest, have+n, d.Size, io.ErrUnexpectedEOF)
	}
	return d.Size - have, nil
}

// fetchRanges downloads d in parallel parts written in place. Progress of
// each part is the length of its own part file, so an interrupted pull
// resumes each part where it stopped.
func fetchRanges(ctx context.Context, rg ranger, root *os.Root, partial string, d ocispec.Descriptor, opts PullOptions) ([]byte, error) {
	ps := opts.PartSize
	if ps <= 0 {
		ps = 16 << 20
	}
	// Probe: one byte tells whether ranges work before any file is made.
	probe, err := rg.fetchRange(ctx, d, 0, 1)
	if err != nil {
		return nil, errNoRanges
	}
	probe.Close()
	f, err := root.OpenFile(partial, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Truncate(d.Size); err != nil {
		return nil, err
	}
	state, err := openParts(root, partial+".parts", d.Size, ps)
	if err != nil {
		return nil, err
	}
	defer state.close()
	hashed := make(chan []byte, 1)
	go func() { hashed <- state.hashBehind(f, d.Digest.Algorithm().Hash()) }()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.concurrency())
	for i := range state.done {
		g.Go(func() error { return fetchPart(gctx, rg, f, d, state, i) })
	}
	err = g.Wait()
	if err != nil {
		state.abort()
		<-hashed
		return nil, err
	}
	sum := <-hashed
	state.close()
	return sum, root.Remove(partial + ".parts")
}

func fetchPart(ctx context.Context, rg ranger, f *os.File, d ocispec.Descriptor, st *parts, i int) error {
	off, end := st.bounds(i)
	off += st.get(i)
	if off >= end {
		return nil
	}
	rc, err := rg.fetchRange(ctx, d, off, end-off)
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := make([]byte, 1<<20)
	for off < end {
		n, err := io.ReadFull(rc, buf[:min(int64(len(buf)), end-off)])
		if n > 0 {
			if _, werr := f.WriteAt(buf[:n], off); werr != nil {
				return werr
			}
			off += int64(n)
			st.add(i, int64(n))
		}
		if err != nil && off < end {
			return fmt.Errorf("range at %d: %w", off, err)
		}
	}
	return nil
}

// remoteRanger adds Range GETs to a registry repository.
type remoteRanger struct {
	*remote.Repository
}

func (r remoteRanger) loopback() bool {
	host := r.Reference.Host()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r remoteRanger) fetchRange(ctx context.Context, d ocispec.Descriptor, off, n int64) (io.ReadCloser, error) {
	ref := r.Reference
	scheme := "https"
	if r.PlainHTTP {
		scheme = "http"
	}
	url := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", scheme, ref.Host(), ref.Repository, d.Digest)
	ctx = auth.AppendRepositoryScope(ctx, ref, auth.ActionPull)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	resp, err := r.Client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusPartialContent {
		resp.Body.Close()
		return nil, fmt.Errorf("range GET %s: %s: %w", d.Digest, resp.Status, errNoRanges)
	}
	return resp.Body, nil
}
