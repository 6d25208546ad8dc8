package remote

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// PushGraph copies root and everything it reaches (config, layers; no
// referrers, no tag) from src to dst, children before parents, skipping
// what dst has: failed blob uploads are retried from src and large ones
// chunked, as in Push. The remote cache writes its entries with it.
func PushGraph(ctx context.Context, src content.ReadOnlyStorage, root ocispec.Descriptor, dst oras.Target, opts PushOptions) error {
	rt := &retryTarget{Target: dst, src: src, opts: opts}
	err := oras.CopyGraph(ctx, src, rt, root, oras.CopyGraphOptions{
		Concurrency: opts.concurrency(),
		OnCopySkipped: func(_ context.Context, d ocispec.Descriptor) error {
			opts.emit(Event{Action: "skip", Desc: d, Done: d.Size})
			return nil
		},
		PostCopy: func(_ context.Context, d ocispec.Descriptor) error {
			opts.emit(Event{Action: "done", Desc: d, Done: d.Size})
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("push %s: %w", root.Digest, err)
	}
	return nil
}
