package cache

import (
	"bytes"
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/content"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Save writes the entry of cache key: the artifact (a manifest in the
// local store) that step made with plugin. It pushes the blobs the
// registry does not have, then the artifact manifest, then the entry's
// index by tag, last, so that an interrupted Save leaves a miss. An entry
// that is already there whole, made by the same plugin, is kept: a second
// Save does nothing (whichever runner wrote first, the entry stays valid).
func (c *Cache) Save(ctx context.Context, key, step string, plugin specv1.PluginID, art ocispec.Descriptor) error {
	if d, err := digest.Parse(key); err != nil || d.Algorithm() != digest.SHA256 {
		return fmt.Errorf("cache key %q: want sha256:<hex>", key)
	}
	if _, err := c.Lookup(ctx, key, plugin); err == nil {
		return nil
	}
	raw, err := content.FetchAll(ctx, c.local, art)
	if err != nil {
		return fmt.Errorf("artifact %s: %w", art.Digest, err)
	}
	m, err := parseArtifact(raw)
	if err != nil {
		return fmt.Errorf("artifact %s: %w", art.Digest, err)
	}
	if err := c.pushBlobs(ctx, append([]ocispec.Descriptor{m.Config}, m.Layers...)); err != nil {
		return fmt.Errorf("save %s: %w", state.CacheTag(key), err)
	}
	art = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: specv1.MediaTypeArtifact, Digest: art.Digest, Size: int64(len(raw))}
	if err := remote.PushGraph(ctx, c.local, art, c.repo, c.opts.PushOptions); err != nil {
		return fmt.Errorf("save %s: %w", state.CacheTag(key), err)
	}
	idx, err := newIndex(Entry{Key: key, Step: step, Plugin: plugin, Artifact: art, Created: c.opts.Now()})
	if err != nil {
		return err
	}
	d := content.NewDescriptorFromBytes(ocispec.MediaTypeImageIndex, idx)
	if err := c.repo.PushReference(ctx, d, bytes.NewReader(idx), state.CacheTag(key)); err != nil {
		return fmt.Errorf("save %s: index: %w", state.CacheTag(key), err)
	}
	return nil
}

// pushBlobs pushes every blob the registry does not have, from the local
// store (one at a time through PushGraph, so that a blob missing under a
// manifest the registry keeps is sent too).
func (c *Cache) pushBlobs(ctx context.Context, blobs []ocispec.Descriptor) error {
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(max(c.opts.Options.Concurrency, 3))
	seen := map[digest.Digest]bool{}
	for _, b := range blobs {
		if seen[b.Digest] {
			continue
		}
		seen[b.Digest] = true
		eg.Go(func() error { return remote.PushGraph(ectx, c.local, b, c.repo, c.opts.PushOptions) })
	}
	return eg.Wait()
}
