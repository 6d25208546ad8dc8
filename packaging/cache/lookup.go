package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/state"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// ErrPlugin marks an entry made by another plugin binary than the locked
// one: a miss.
var ErrPlugin = errors.New("made by another plugin")

// Lookup finds the entry of cache key and checks it whole: the index,
// the plugin (an entry that plugin did not make is a miss wrapping
// ErrPlugin), the artifact manifest and config (verified against their
// digests) and every layer (present in the registry with its size). On a
// hit it stores the manifest and config (not the layers) in the local
// store and returns the manifest's descriptor. No entry gives an error
// wrapping errdef.ErrNotFound; any other error is a miss too, that says
// what is wrong with the entry (or the registry).
func (c *Cache) Lookup(ctx context.Context, key string, plugin specv1.PluginID) (ocispec.Descriptor, error) {
	tag := state.CacheTag(key)
	desc, err := c.repo.Resolve(ctx, tag)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("entry %s in %s: %w", tag, c, err)
	}
	art, err := c.check(ctx, key, desc, plugin)
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) { // a part of the entry is missing, not the entry
			err = errors.New(err.Error())
		}
		return ocispec.Descriptor{}, fmt.Errorf("entry %s: %w", tag, err)
	}
	return art, nil
}

// check reads the entry whose index is desc whole and stores its manifest
// and config locally.
func (c *Cache) check(ctx context.Context, key string, desc ocispec.Descriptor, plugin specv1.PluginID) (ocispec.Descriptor, error) {
	e, m, err := c.read(ctx, key, desc)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if e.Plugin != plugin {
		return ocispec.Descriptor{}, fmt.Errorf("%w (%s %s, %s), not the locked %s %s (%s)", ErrPlugin,
			e.Plugin.Name, e.Plugin.Version, e.Plugin.Digest, plugin.Name, plugin.Version, plugin.Digest)
	}
	cfg, err := c.fetchSmall(ctx, m.manifest.Config)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("config: %w", err)
	}
	if !json.Valid(cfg) {
		return ocispec.Descriptor{}, fmt.Errorf("config %s is not JSON", m.manifest.Config.Digest)
	}
	if err := c.layersPresent(ctx, m.manifest.Layers); err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := c.putLocal(ctx, m.manifest.Config, cfg); err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := c.putLocal(ctx, e.Artifact, m.raw); err != nil {
		return ocispec.Descriptor{}, err
	}
	return e.Artifact, nil
}

// artifact is an entry's artifact manifest, parsed and raw.
type artifact struct {
	manifest *ocispec.Manifest
	raw      []byte
}

// entry resolves and reads the entry of key and its artifact manifest.
func (c *Cache) entry(ctx context.Context, key string) (*Entry, *artifact, error) {
	tag := state.CacheTag(key)
	desc, err := c.repo.Resolve(ctx, tag)
	if err != nil {
		return nil, nil, fmt.Errorf("entry %s in %s: %w", tag, c, err)
	}
	e, m, err := c.read(ctx, key, desc)
	if err != nil {
		return nil, nil, fmt.Errorf("entry %s: %w", tag, err)
	}
	return e, m, nil
}

// read reads the entry index desc of key and its artifact manifest.
func (c *Cache) read(ctx context.Context, key string, desc ocispec.Descriptor) (*Entry, *artifact, error) {
	e, err := c.readEntry(ctx, desc)
	if err != nil {
		return nil, nil, err
	}
	if e.Key != key {
		return nil, nil, fmt.Errorf("%w: it names cache key %s", errBadEntry, e.Key)
	}
	raw, err := c.fetchSmall(ctx, e.Artifact)
	if err != nil {
		return nil, nil, fmt.Errorf("artifact manifest: %w", err)
	}
	m, err := parseArtifact(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("artifact manifest %s: %w", e.Artifact.Digest, err)
	}
	return e, &artifact{manifest: m, raw: raw}, nil
}

// readEntry reads and parses the index desc.
func (c *Cache) readEntry(ctx context.Context, desc ocispec.Descriptor) (*Entry, error) {
	if desc.MediaType != ocispec.MediaTypeImageIndex {
		return nil, fmt.Errorf("%w: media type %q", errBadEntry, desc.MediaType)
	}
	b, err := c.fetchSmall(ctx, desc)
	if err != nil {
		return nil, err
	}
	e, err := parseEntry(b)
	if err != nil {
		return nil, err
	}
	e.Index = desc
	return e, nil
}

// fetchSmall reads a manifest or config of at most maxIndex bytes,
// verified against its digest and size.
func (c *Cache) fetchSmall(ctx context.Context, d ocispec.Descriptor) ([]byte, error) {
	if d.Size > maxIndex {
		return nil, fmt.Errorf("%s: %d bytes is too large for a manifest or config", d.Digest, d.Size)
	}
	rc, err := c.repo.Fetch(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := content.ReadAll(rc, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Digest, err)
	}
	return b, nil
}

// layersPresent checks that the registry has every layer, with its size.
func (c *Cache) layersPresent(ctx context.Context, layers []ocispec.Descriptor) error {
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(c.opts.Options.Concurrency + 4)
	for _, l := range layers {
		eg.Go(func() error {
			got, err := c.repo.Blobs().Resolve(ectx, l.Digest.String())
			if err != nil {
				return fmt.Errorf("layer %s (%s): %w", l.Annotations[ocispec.AnnotationTitle], l.Digest, err)
			}
			if got.Size != l.Size {
				return fmt.Errorf("layer %s (%s): %d bytes in the registry, want %d", l.Annotations[ocispec.AnnotationTitle], l.Digest, got.Size, l.Size)
			}
			return nil
		})
	}
	return eg.Wait()
}

// putLocal stores a verified manifest or config in the local store.
func (c *Cache) putLocal(ctx context.Context, d ocispec.Descriptor, b []byte) error {
	if ok, err := c.local.Exists(ctx, d); err == nil && ok {
		return nil
	}
	if err := c.local.Push(ctx, d, bytes.NewReader(b)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("store %s: %w", d.Digest, err)
	}
	return nil
}
