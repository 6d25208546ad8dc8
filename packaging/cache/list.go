package cache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// tagPrefix starts every entry's tag (state.CacheTag).
const tagPrefix = "cache-"

// List returns the cache's entries, oldest first (then by key), each with
// the size of its artifact's config and layers. Tags that start with
// cache- but do not hold a readable entry are returned in bad, sorted.
func (c *Cache) List(ctx context.Context) (entries []Entry, bad []string, err error) {
	tags, err := c.tags(ctx, tagPrefix)
	if err != nil {
		return nil, nil, err
	}
	entries, bad, err = readTags(ctx, tags, func(ctx context.Context, t string) *Entry {
		return c.listed(ctx, "sha256:"+strings.TrimPrefix(t, tagPrefix))
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		return a.Key < b.Key
	})
	return entries, bad, nil
}

// readTags reads the tags with read, 8 at a time: what read returns, in
// tag order, and the tags it returns nil for (bad, sorted).
func readTags[T any](ctx context.Context, tags []string, read func(context.Context, string) *T) (out []T, bad []string, err error) {
	got := make([]*T, len(tags))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(8)
	for i, t := range tags {
		eg.Go(func() error {
			got[i] = read(ectx, t)
			return ectx.Err()
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, nil, err
	}
	for i, x := range got {
		if x == nil {
			bad = append(bad, tags[i])
			continue
		}
		out = append(out, *x)
	}
	sort.Strings(bad)
	return out, bad, nil
}

// tags lists the repository's tags that start with prefix; none when
// there is no repository yet.
func (c *Cache) tags(ctx context.Context, prefix string) ([]string, error) {
	var tags []string
	err := c.repo.Tags(ctx, "", func(ts []string) error {
		for _, t := range ts {
			if strings.HasPrefix(t, prefix) {
				tags = append(tags, t)
			}
		}
		return nil
	})
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache %s: tags: %w", c, err)
	}
	return tags, nil
}

// notFound tells a 404 (distribution answers NAME_UNKNOWN for tags of a
// repository nobody pushed to).
func notFound(err error) bool {
	var er *errcode.ErrorResponse
	return errors.Is(err, errdef.ErrNotFound) || (errors.As(err, &er) && er.StatusCode == http.StatusNotFound)
}

// listed reads the entry of key with its size, or nil when it cannot.
func (c *Cache) listed(ctx context.Context, key string) *Entry {
	e, m, err := c.entry(ctx, key)
	if err != nil {
		return nil
	}
	e.Size = m.manifest.Config.Size
	for _, l := range m.manifest.Layers {
		e.Size += l.Size
	}
	return e
}

// PruneOptions select what Prune deletes. The zero value deletes every
// entry.
type PruneOptions struct {
	// OlderThan keeps the entries written less than this long ago.
	OlderThan time.Duration
	// DryRun reports what would be deleted and deletes nothing.
	DryRun bool
}

// PruneReport says what Prune deleted (or would delete).
type PruneReport struct {
	Deleted []Entry `json:"deleted"`
	Kept    int     `json:"kept"`
	// Bytes is the size of the deleted entries' artifacts (blobs shared
	// with kept entries or other repositories stay).
	Bytes int64 `json:"bytes"`
	// DeletedMemos are the memo entries deleted with the last entry their
	// plugin binary made; KeptMemos counts the others.
	DeletedMemos []Memo `json:"deleted_memos,omitempty"`
	KeptMemos    int    `json:"kept_memos"`
	DryRun       bool   `json:"dry_run,omitempty"`
}

// Prune deletes the entries older than opts.OlderThan by their index
// digest, which removes their tags, then the memo entries of the plugin
// binaries that made none of the entries kept (memos bear no time: the
// same answer is the same manifest). The artifact manifests and blobs stay
// until the registry's garbage collection reclaims what no tag reaches
// (distribution: registry garbage-collect --delete-untagged): another
// entry, or a pushed bundle, may share them.
func (c *Cache) Prune(ctx context.Context, opts PruneOptions) (PruneReport, error) {
	rep := PruneReport{DryRun: opts.DryRun}
	entries, _, err := c.List(ctx)
	if err != nil {
		return rep, err
	}
	cutoff := c.opts.Now().Add(-opts.OlderThan)
	kept := map[string]bool{}
	for _, e := range entries {
		if opts.OlderThan > 0 && !e.Created.Before(cutoff) {
			rep.Kept++
			kept[e.Plugin.Digest] = true
			continue
		}
		if !opts.DryRun {
			if err := c.repo.Delete(ctx, e.Index); err != nil && !errors.Is(err, errdef.ErrNotFound) {
				return rep, fmt.Errorf("cache %s: delete %s (%s): %w", c, state.CacheTag(e.Key), e.Index.Digest, err)
			}
		}
		rep.Deleted = append(rep.Deleted, e)
		rep.Bytes += e.Size
	}
	rep.DeletedMemos, rep.KeptMemos, err = c.pruneMemos(ctx, kept, opts.DryRun)
	return rep, err
}
