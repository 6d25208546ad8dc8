package cache

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/errdef"
)

// Holds reports whether the cache's repository has the blob d, so that a
// local store lacking it (an artifact taken from the cache without its
// layers) can still fetch it.
func (c *Cache) Holds(ctx context.Context, d digest.Digest) (bool, error) {
	_, err := c.repo.Blobs().Resolve(ctx, d.String())
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errdef.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("cache %s: blob %s: %w", c.ref.Repository, d, err)
}
