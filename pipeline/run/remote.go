package run

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// RemoteCache is a cache of step artifacts shared by every machine that
// builds with it, in a registry (packaging/cache.Cache implements it).
// Lookup returns the artifact of key made by plugin, with its manifest and
// config (not its layers) put in the local store; no entry gives an error
// wrapping errdef.ErrNotFound, any other error is a miss worth telling.
// Save writes the entry of an artifact in the local store. Fetch copies
// the blobs of an artifact that the local store lacks, verified, telling
// progress the bytes so far; it returns the bytes fetched. Location names
// the cache's repository (Missing unset) for the steps that read their
// inputs' blobs from it (specv1.Capabilities.RemoteInputs).
type RemoteCache interface {
	Lookup(ctx context.Context, key string, plugin plan.PluginID) (ocispec.Descriptor, error)
	Save(ctx context.Context, key, step string, plugin plan.PluginID, artifact ocispec.Descriptor) error
	Fetch(ctx context.Context, artifact ocispec.Descriptor, progress func(done, total int64)) (int64, error)
	Location() specv1.Remote
}

// cached takes the step's artifact from the local store, else from the
// remote cache (builds without the bytes: the layers stay remote until a
// step that runs needs them).
func (e *engine) cached(ctx context.Context, r *StepResult) (bool, error) {
	if ok, err := e.fromCache(ctx, r); ok || err != nil || e.o.Cache == nil {
		return ok, err
	}
	return e.fromRemote(ctx, r)
}

// fromRemote looks the step up in the remote cache: a hit is named by its
// cache key in the local store, then taken as a local hit is.
func (e *engine) fromRemote(ctx context.Context, r *StepResult) (bool, error) {
	desc, err := e.o.Cache.Lookup(ctx, r.CacheKey, r.Plugin)
	var meta *specv1.Metadata
	if err == nil {
		meta, err = e.st.Metadata(ctx, desc)
	}
	if err == nil {
		err = e.st.Tag(ctx, desc, state.CacheTag(r.CacheKey))
	}
	if err == nil {
		e.log(r.Address, fmt.Sprintf("remote cache hit: artifact %s (manifest and config fetched; layers when a step that runs needs them)", desc.Digest))
		return e.hit(ctx, r, desc, meta)
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if !errors.Is(err, errdef.ErrNotFound) {
		e.log(r.Address, fmt.Sprintf("remote cache miss: %v", err))
	}
	return false, nil
}

// saveRemote writes the entry of a step that ran, unless the cache is
// read-only; a failure is a warning, never the build's.
func (e *engine) saveRemote(ctx context.Context, r *StepResult) {
	if e.o.Cache == nil || e.o.CacheReadOnly {
		return
	}
	if err := e.o.Cache.Save(ctx, r.CacheKey, r.Address, r.Plugin, r.desc); err != nil {
		e.log(r.Address, fmt.Sprintf("warning: remote cache: saving %s failed (the build goes on): %v", state.CacheTag(r.CacheKey), err))
	}
}

// partStore materializes the files of an artifact whose blobs it holds
// and returns the layers it lacks (packaging/store.Store does).
type partStore interface {
	MaterializePresent(ctx context.Context, desc ocispec.Descriptor, dir string) ([]ocispec.Descriptor, error)
}

// materialize puts the files of input in under in.Dir. A step that reads
// remote inputs gets the files the local store has, and in.Remote names
// the remote cache and lists the others; any other step gets every file,
// the blobs only the remote cache has fetched first.
func (e *engine) materialize(ctx context.Context, j *job, in *input) error {
	ps, ok := e.st.(partStore)
	if e.o.Cache == nil || !ok || !j.step.Component.Capabilities.RemoteInputs {
		if err := e.fetchInput(ctx, j.step.Address, *in); err != nil {
			return err
		}
		return e.st.Materialize(ctx, in.desc, in.Dir)
	}
	layers, err := ps.MaterializePresent(ctx, in.desc, in.Dir)
	if err != nil {
		return err
	}
	r := e.o.Cache.Location()
	r.Missing = remoteFiles(layers)
	in.Remote = &r
	if len(layers) > 0 {
		var n int64
		for _, l := range layers {
			n += l.Size
		}
		e.log(j.step.Address, fmt.Sprintf("%d files of %s (%s, %d bytes) stay in the remote cache %s: the step reads them from there",
			len(layers), in.Step, in.Digest, n, r.Repository))
	}
	return nil
}

// remoteFiles lists layers as the files a step reads from the remote
// cache, sorted by path.
func remoteFiles(layers []ocispec.Descriptor) []specv1.RemoteFile {
	var out []specv1.RemoteFile
	for _, l := range layers {
		out = append(out, specv1.RemoteFile{Path: l.Annotations[ocispec.AnnotationTitle], Digest: l.Digest.String(), Size: l.Size})
	}
	slices.SortFunc(out, func(a, b specv1.RemoteFile) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// fetchInput downloads the blobs of input artifact desc that only the
// remote cache has, before the step that reads it runs.
func (e *engine) fetchInput(ctx context.Context, addr string, in input) error {
	if e.o.Cache == nil {
		return nil
	}
	ev := &stepEvents{sink: e.sink, step: addr}
	n, err := e.o.Cache.Fetch(ctx, in.desc, func(done, total int64) { ev.Progress(done, total, "bytes") })
	if err != nil {
		return fmt.Errorf("remote cache: %w", err)
	}
	if n > 0 {
		e.log(addr, fmt.Sprintf("fetched %d bytes of %s (%s) from the remote cache", n, in.Step, in.Digest))
	}
	return nil
}

func (e *engine) log(addr, msg string) {
	e.sink.emit(Event{Type: EventStepLog, Step: addr, Message: msg})
}
