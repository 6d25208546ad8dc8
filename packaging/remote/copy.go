package remote

import (
	"context"
	"fmt"
	"sync/atomic"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
)

// CopyResult says what Copy moved.
type CopyResult struct {
	// Manifest is the copied manifest, under its digest in both places.
	Manifest ocispec.Descriptor
	// Manifests counts the manifests in the copied graph (the bundle, its
	// subject's graph, every referrer, recursively); Blobs counts the
	// other blobs; Skipped counts the nodes the target already had.
	Manifests, Blobs, Skipped int64
}

// Copy copies the manifest src names, with its graph (config, layers, the
// subject graph of an adapter) and every manifest that refers to it,
// recursively (license report, provenance, signatures, ML-BOM and the
// referrers of those), from a registry or layout folder to another, tagged
// dst.Reference (default: src's tag, else latest). Blobs the target has
// are skipped; failed blob uploads are retried as in Push. Referrers are
// found with the referrers API or the referrers tag schema, and written
// so that both find them on the target.
func Copy(ctx context.Context, src, dst Ref, opts PushOptions) (*CopyResult, error) {
	s, err := openSource(ctx, src, opts.Options)
	if err != nil {
		return nil, err
	}
	root, err := resolve(ctx, s, src)
	if err != nil {
		return nil, err
	}
	target, err := openTarget(ctx, dst, opts.Options)
	if err != nil {
		return nil, err
	}
	res := &CopyResult{Manifest: root}
	count := func(d ocispec.Descriptor) {
		if isManifest(d) {
			atomic.AddInt64(&res.Manifests, 1)
		} else {
			atomic.AddInt64(&res.Blobs, 1)
		}
	}
	co := oras.ExtendedCopyOptions{ExtendedCopyGraphOptions: oras.ExtendedCopyGraphOptions{
		CopyGraphOptions: oras.CopyGraphOptions{
			Concurrency: opts.concurrency(),
			OnCopySkipped: func(_ context.Context, d ocispec.Descriptor) error {
				count(d)
				atomic.AddInt64(&res.Skipped, 1)
				opts.emit(Event{Action: "skip", Desc: d, Done: d.Size})
				return nil
			},
			PostCopy: func(_ context.Context, d ocispec.Descriptor) error {
				count(d)
				opts.emit(Event{Action: "done", Desc: d, Done: d.Size})
				return nil
			},
		}}}
	rt := &retryTarget{Target: target, src: s, opts: opts}
	if _, err := oras.ExtendedCopy(ctx, s, root.Digest.String(), rt, copyTag(src, dst), co); err != nil {
		return nil, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if layout, ok := target.(*oci.Store); ok {
		if err := layout.SaveIndex(); err != nil {
			return nil, fmt.Errorf("copy to %s: %w", dst, err)
		}
	}
	return res, nil
}

// copyTag is the reference the copy gets: dst's, else src's tag (or
// digest), else latest.
func copyTag(src, dst Ref) string {
	switch {
	case dst.Reference != "":
		return dst.Reference
	case src.Reference != "":
		return src.Reference
	}
	return "latest"
}
