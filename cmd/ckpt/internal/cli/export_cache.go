package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/store"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

// fetchRemote downloads the blobs of the artifact desc that the local
// store lacks (a remote cache hit's layers) from the remote cache of
// --cache, CKPT_CACHE or the spec in dir, verified, with progress on
// stderr. An artifact the store holds whole needs no cache.
func fetchRemote(ctx context.Context, stdio *IO, st *store.Store, desc ocispec.Descriptor, dir string, f cacheFlags, plainHTTP bool) error {
	err := st.CheckArtifact(ctx, desc)
	if !errors.Is(err, errdef.ErrNotFound) {
		return nil // whole, or damaged: the export's own checks say so
	}
	ref, diags, perr := f.pick(specCache(ctx, dir))
	if perr != nil {
		return perr
	}
	if ref == "" || diags.HasErrors() {
		return fmt.Errorf("%w (the files are in a remote cache: give --cache REF)", err)
	}
	c, err := openCache(ctx, ref, st, plainHTTP)
	if err != nil {
		return err
	}
	ui := newTransferUI(stdio, "fetched")
	bar := ocispec.Descriptor{Digest: desc.Digest, Annotations: map[string]string{ocispec.AnnotationTitle: "remote cache"}}
	n, err := c.Fetch(ctx, desc, func(done, total int64) {
		bar.Size = total
		ui.event(ckptremote.Event{Action: "pull", Desc: bar, Done: done})
	})
	if err == nil && n > 0 {
		ui.event(ckptremote.Event{Action: "done", Desc: bar, Done: n})
	}
	ui.close()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Err, "fetched %s from the remote cache %s\n", humanBytes(n), ref)
	return nil
}

// specCache is the cache block of the spec in dir, nil when there is none
// or the spec does not load (export does not need it otherwise).
func specCache(ctx context.Context, dir string) *spec.Cache {
	sp, _ := spec.Load(ctx, dir, spec.Options{Env: os.Environ(), Version: Version})
	if sp == nil {
		return nil
	}
	return sp.Required.Cache
}
