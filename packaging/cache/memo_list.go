package cache

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"oras.land/oras-go/v2/errdef"
)

// Memos returns the cache's memo entries, sorted by plugin, kind and key.
// Tags that start with memo- but hold no readable memo are returned in
// bad, sorted.
func (c *Cache) Memos(ctx context.Context) (memos []Memo, bad []string, err error) {
	tags, err := c.tags(ctx, memoPrefix)
	if err != nil {
		return nil, nil, err
	}
	memos, bad, err = readTags(ctx, tags, func(ctx context.Context, t string) *Memo {
		if e, _, err := c.readMemo(ctx, t); err == nil && e.Key == "sha256:"+t[len(memoPrefix):] {
			return e
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(memos, func(i, j int) bool {
		a, b := memos[i], memos[j]
		if a.Plugin != b.Plugin {
			return a.Plugin.Name+a.Plugin.Digest < b.Plugin.Name+b.Plugin.Digest
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Key < b.Key
	})
	return memos, bad, nil
}

// pruneMemos deletes (or, dry, lists) the memos of plugin binaries that
// made none of the kept entries: a memo goes with the last entry its
// binary made.
func (c *Cache) pruneMemos(ctx context.Context, kept map[string]bool, dry bool) (deleted []Memo, left int, err error) {
	memos, _, err := c.Memos(ctx)
	if err != nil {
		return nil, 0, err
	}
	for _, m := range memos {
		if kept[m.Plugin.Digest] {
			left++
			continue
		}
		if !dry {
			if err := c.repo.Delete(ctx, m.Manifest); err != nil && !errors.Is(err, errdef.ErrNotFound) {
				return deleted, left, fmt.Errorf("cache %s: delete %s (%s): %w", c, memoPrefix+m.Key[len("sha256:"):], m.Manifest.Digest, err)
			}
		}
		deleted = append(deleted, m)
	}
	return deleted, left, nil
}
