package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
)

// PushOptions tune Push. The zero value pushes with Options' defaults and
// three attempts per blob.
type PushOptions struct {
	Options
	// Attempts is how many times one blob upload is tried (default 3); each
	// retry re-opens the blob from the source. A chunked upload also retries
	// each chunk as many times, continuing from the registry's offset.
	Attempts int
	// ChunkSize is the PATCH size of chunked uploads to registries: 0 sends
	// blobs of 512 MiB or more in 64 MiB chunks (a chunk is held in memory
	// for each blob in flight), a positive size chunks
	// every larger blob, a negative one never chunks.
	ChunkSize int64
	// MountFrom names registry repositories (host[:port]/path) that may
	// hold the pushed blobs, e.g. a remote cache: Push has the target's
	// registry mount a blob it lacks from those on the same registry
	// (cross-repository blob mount: no bytes move) before it sends it.
	MountFrom []string
	// Missing maps the paths (slash-separated) of files the layout folder
	// lacks to the blobs Fallback serves for them: Push reads them from
	// there, verified against their digests and sizes as they are read.
	Missing  map[string]ocispec.Descriptor
	Fallback content.Fetcher
}

// Push copies the manifest tagged (or digested) srcRef in the OCI layout
// folder layoutDir, its blobs, its subject's graph and every referrer
// attached to it (license report, provenance) to dst, tagged with
// dst.Reference. Blobs the target already has are not sent again; with
// MountFrom, the registry mounts those it can; with Missing, the layout's
// missing files are read from Fallback. On
// registries without the referrers API, oras-go maintains the referrers
// tag schema. It returns the pushed manifest's descriptor.
func Push(ctx context.Context, layoutDir, srcRef string, dst Ref, opts PushOptions) (ocispec.Descriptor, error) {
	if _, err := os.Stat(layoutDir); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("bundle layout: %w", err)
	}
	src, err := oci.NewFromFS(ctx, openLayout(ctx, layoutDir, opts))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("bundle layout %s: %w", layoutDir, err)
	}
	target, err := openTarget(ctx, dst, opts.Options)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	dstRef := dst.Reference
	if dstRef == "" {
		dstRef = "latest"
	}
	rt := &retryTarget{Target: target, src: src, opts: opts}
	co := oras.ExtendedCopyOptions{ExtendedCopyGraphOptions: oras.ExtendedCopyGraphOptions{
		CopyGraphOptions: oras.CopyGraphOptions{
			Concurrency: opts.concurrency(),
			OnCopySkipped: func(_ context.Context, d ocispec.Descriptor) error {
				opts.emit(Event{Action: "skip", Desc: d, Done: d.Size})
				return nil
			},
			PostCopy: func(_ context.Context, d ocispec.Descriptor) error {
				opts.emit(Event{Action: "done", Desc: d, Done: d.Size})
				return nil
			},
			MountFrom: opts.mountFrom(dst),
			OnMounted: opts.onMounted,
		}}}
	d, err := oras.ExtendedCopy(ctx, src, srcRef, rt, dstRef, co)
	if err != nil {
		return d, fmt.Errorf("push %s to %s: %w", srcRef, dst, err)
	}
	if layout, ok := target.(*oci.Store); ok {
		if err := layout.SaveIndex(); err != nil {
			return d, fmt.Errorf("push to %s: %w", dst, err)
		}
	}
	return d, nil
}

// retryTarget retries failed blob uploads by re-opening the blob from the
// source (oras-go's HTTP retry cannot rewind a file body), and reports
// bytes as they are sent. A chunked upload retries its chunks itself,
// continuing from the registry's offset; a whole-blob retry follows when
// it gives up.
type retryTarget struct {
	oras.Target
	src  content.Fetcher
	opts PushOptions
}

func (t *retryTarget) Push(ctx context.Context, d ocispec.Descriptor, r io.Reader) error {
	attempts := t.attempts()
	backoff := 500 * time.Millisecond
	for i := 1; ; i++ {
		err := t.push(ctx, d, r)
		if err == nil || errors.Is(err, errdef.ErrAlreadyExists) || i >= attempts || ctx.Err() != nil {
			return err
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff *= 2
		rc, ferr := t.src.Fetch(ctx, d)
		if ferr != nil {
			return fmt.Errorf("%w (re-open for retry: %v)", err, ferr)
		}
		defer rc.Close()
		r = rc
	}
}

// push sends one blob, in chunks when the target is a registry and the
// blob is large (a chunked upload resumes from what the registry holds).
func (t *retryTarget) push(ctx context.Context, d ocispec.Descriptor, r io.Reader) error {
	if repo, ok := t.Target.(*remote.Repository); ok && !isManifest(d) {
		if size := chunkPlan(repo, d, t.opts); size > 0 {
			u := &chunkedUpload{repo: repo, d: d, size: size, attempts: t.attempts(), reopen: t.reopen(d),
				progress: func(n int64) { t.opts.emit(Event{Action: "push", Desc: d, Done: n}) }}
			return u.push(ctx, r)
		}
	}
	return t.Target.Push(ctx, d, &progressReader{r: r, d: d, opts: t.opts.Options})
}

func (t *retryTarget) attempts() int {
	if t.opts.Attempts > 0 {
		return t.opts.Attempts
	}
	return 3
}

// reopen opens blob d from the source at offset off.
func (t *retryTarget) reopen(d ocispec.Descriptor) func(ctx context.Context, off int64) (io.ReadCloser, error) {
	return func(ctx context.Context, off int64) (io.ReadCloser, error) {
		rc, err := t.src.Fetch(ctx, d)
		if err != nil {
			return nil, err
		}
		if sk, ok := rc.(io.Seeker); ok {
			_, err = sk.Seek(off, io.SeekStart)
		} else {
			_, err = io.CopyN(io.Discard, rc, off)
		}
		if err != nil {
			rc.Close()
			return nil, err
		}
		return rc, nil
	}
}

func isManifest(d ocispec.Descriptor) bool {
	switch d.MediaType {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
		"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json":
		return true
	}
	return false
}

// progressReader reports the bytes read through it as events of action
// ("push" when empty), at most one per 8 MiB.
type progressReader struct {
	r      io.Reader
	d      ocispec.Descriptor
	opts   Options
	action string
	n      int64
	last   int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n-p.last >= 8<<20 || (err != nil && p.n > p.last) {
		p.last = p.n
		action := p.action
		if action == "" {
			action = "push"
		}
		p.opts.emit(Event{Action: action, Desc: p.d, Done: p.n})
	}
	return n, err
}
