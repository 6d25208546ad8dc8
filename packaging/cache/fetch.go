package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// Fetch downloads the blobs of the artifact art (a manifest in the local
// store) that the local store does not have, each verified by the local
// store as it is written (Push with the layer's descriptor) and tried
// three times. progress, when set, is told the bytes fetched so far out of
// the bytes missing. It returns the bytes fetched.
func (c *Cache) Fetch(ctx context.Context, art ocispec.Descriptor, progress func(done, total int64)) (int64, error) {
	raw, err := content.FetchAll(ctx, c.local, art)
	if err != nil {
		return 0, fmt.Errorf("artifact %s: %w", art.Digest, err)
	}
	m, err := parseArtifact(raw)
	if err != nil {
		return 0, fmt.Errorf("artifact %s: %w", art.Digest, err)
	}
	var missing []ocispec.Descriptor
	var total int64
	for _, l := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if ok, err := c.local.Exists(ctx, l); err != nil || !ok {
			missing = append(missing, l)
			total += l.Size
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	var done atomic.Int64
	report := func(n int64) {
		d := done.Add(n)
		if progress != nil {
			progress(d, total)
		}
	}
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(max(c.opts.Options.Concurrency, 3))
	for _, l := range missing {
		eg.Go(func() error { return c.fetchBlob(ectx, l, report) })
	}
	if err := eg.Wait(); err != nil {
		return done.Load(), fmt.Errorf("fetch %s from %s: %w", art.Digest, c, err)
	}
	return done.Load(), nil
}

// fetchBlob copies one blob from the registry into the local store.
func (c *Cache) fetchBlob(ctx context.Context, l ocispec.Descriptor, report func(int64)) error {
	var err error
	for range 3 {
		var n int64
		err = c.fetchOnce(ctx, l, func(k int64) { n += k; report(k) })
		if err == nil || errors.Is(err, errdef.ErrAlreadyExists) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		report(-n) // the retry counts again from zero
	}
	return fmt.Errorf("layer %s (%s): %w", l.Annotations[ocispec.AnnotationTitle], l.Digest, err)
}

func (c *Cache) fetchOnce(ctx context.Context, l ocispec.Descriptor, report func(int64)) error {
	rc, err := c.repo.Fetch(ctx, l)
	if err != nil {
		return err
	}
	defer rc.Close()
	return c.local.Push(ctx, l, &countReader{r: rc, report: report})
}

// countReader reports the bytes read through it, per 1 MiB or at the end.
type countReader struct {
	r       io.Reader
	report  func(int64)
	pending int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.pending += int64(n)
	if c.pending >= 1<<20 || (err != nil && c.pending > 0) {
		c.report(c.pending)
		c.pending = 0
	}
	return n, err
}
