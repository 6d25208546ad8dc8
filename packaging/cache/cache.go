// Package cache is ckpt's remote cache: step artifacts shared by every
// machine that builds with the same registry repository, so that a CI
// fleet does each step's work once (as BuildKit's registry cache and
// Bazel's remote cache do).
//
// An entry for cache key sha256:<hex> is an OCI image index tagged
// cache-<hex> (the name the local store gives the same artifact), with
// artifactType specv1.ArtifactTypeCacheEntry, whose one manifest is the
// step's artifact manifest, byte for byte the one in the local store, and
// whose annotations record the key, the step, the plugin (name, version,
// binary digest) and when the entry was written. Entries are ordinary OCI
// artifacts: the registry's replication, auth, quotas and garbage
// collection apply to them.
//
// Save pushes the blobs the registry lacks, then the artifact manifest,
// then the index by tag, last: a writer killed mid-way leaves no tag, so
// a reader sees a miss, never a broken hit. Lookup checks the entry whole
// (index, plugin, manifest and config verified against their digests,
// every layer present) and copies only the manifest and config into the
// local store; Fetch downloads the layers a step that runs needs, verified
// by the local store as they are written.
package cache

import (
	"context"
	"fmt"
	"io"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/ckpt-dev/ckpt/packaging/remote"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Local is the local store entries are copied from and into
// (packaging/store.Store). Push verifies the bytes against expected.
type Local interface {
	content.ReadOnlyStorage
	Push(ctx context.Context, expected ocispec.Descriptor, r io.Reader) error
}

// Options configure a Cache. The zero value talks HTTPS with the
// transfer defaults of packaging/remote.
type Options struct {
	remote.PushOptions
	// Now returns the time written into entries; default time.Now.
	Now func() time.Time
}

// Cache is a remote cache in one registry repository, copying to and from
// one local store. It is safe for concurrent use.
type Cache struct {
	ref   remote.Ref
	repo  *orasremote.Repository
	local Local
	opts  Options
}

// Open opens the remote cache in the registry repository ref
// (host[:port]/path, no tag or digest) through remote.Repository (the
// Docker config's credentials, never logged). Nothing is sent yet. local
// may be nil for List and Prune.
func Open(ctx context.Context, ref string, local Local, opts Options) (*Cache, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	repo, err := remote.Repository(ctx, r, opts.Options)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", ref, err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache{ref: r, repo: repo, local: local, opts: opts}, nil
}

// ParseRef parses a cache reference: a registry repository without a tag
// or digest (entries are its tags).
func ParseRef(s string) (remote.Ref, error) {
	r, err := remote.ParseRef(s)
	switch {
	case err != nil:
		return r, fmt.Errorf("cache: %w", err)
	case r.IsLayout():
		return r, fmt.Errorf("cache %q: want a registry repository (host[:port]/path), not a layout folder", s)
	case r.Reference != "":
		return r, fmt.Errorf("cache %q: want a registry repository without a tag or digest (entries are its tags)", s)
	}
	return r, nil
}

// Location names the cache's repository and how to reach it, for a step
// that reads its inputs' blobs from there (credentials stay in the Docker
// config).
func (c *Cache) Location() specv1.Remote {
	return specv1.Remote{Repository: c.ref.Repository, PlainHTTP: c.opts.PlainHTTP}
}

// String is the cache's repository.
func (c *Cache) String() string { return c.ref.Repository }

// WithLocal returns the cache copying to and from local instead, sharing
// c's registry client (and its credentials): a cache opened before the
// local store, for memos, then used for steps.
func (c *Cache) WithLocal(local Local) *Cache {
	d := *c
	d.local = local
	return &d
}
