package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"
)

// A push of a bundle whose blobs are in another repository (a remote
// cache) moves no blob the target has; mounts, on the same registry, the
// ones it lacks (cross-repository blob mount: no bytes move); and sends
// the others from there, verified (PushOptions.MountFrom, Fallback).

// mountFrom is oras-go's MountFrom for a push to dst: the repositories of
// MountFrom on dst's registry (not dst itself), nil when there are none.
func (o PushOptions) mountFrom(dst Ref) func(context.Context, ocispec.Descriptor) ([]string, error) {
	host, _, _ := strings.Cut(dst.Repository, "/")
	var from []string
	for _, r := range o.MountFrom {
		h, repo, ok := strings.Cut(r, "/")
		if ok && h == host && r != dst.Repository {
			from = append(from, repo)
		}
	}
	if dst.IsLayout() || len(from) == 0 {
		return nil
	}
	return func(context.Context, ocispec.Descriptor) ([]string, error) { return from, nil }
}

// errNotMounted is what Mount's getContent returns when the registry
// would not mount a blob: Mount then sends it as Push does.
var errNotMounted = errors.New("not mounted")

// Mount has the registry mount blob d from the repository from (no bytes
// move). When it cannot (it does not have the blob there, or does not
// mount), d is sent as Push sends it (retried, chunked), read from
// getContent; a getContent error is returned as it is (oras-go then tries
// its next repository).
func (t *retryTarget) Mount(ctx context.Context, d ocispec.Descriptor, from string, getContent func() (io.ReadCloser, error)) error {
	if m, ok := t.Target.(registry.Mounter); ok {
		err := m.Mount(ctx, d, from, func() (io.ReadCloser, error) { return nil, errNotMounted })
		if !errors.Is(err, errNotMounted) {
			return err // mounted, or the registry failed
		}
	}
	rc, err := getContent()
	if err != nil {
		return err
	}
	defer rc.Close()
	return t.Push(ctx, d, rc)
}

var _ registry.Mounter = (*retryTarget)(nil)

// layoutFS is the file system of a layout folder, whose files Missing
// names are read from Fallback when the folder lacks them: manifests and
// other small files once, whole, large blobs streamed each time they are
// opened; every one verified against its digest and size. ctx is Push's:
// the files are read during the call only.
type layoutFS struct {
	ctx     context.Context
	dir     fs.FS
	missing map[string]ocispec.Descriptor
	from    content.Fetcher
	small   sync.Map // path → []byte
}

// openLayout is the file system Push reads the layout folder dir through.
func openLayout(ctx context.Context, dir string, opts PushOptions) fs.FS {
	if len(opts.Missing) == 0 || opts.Fallback == nil {
		return os.DirFS(dir)
	}
	return &layoutFS{ctx: ctx, dir: os.DirFS(dir), missing: opts.Missing, from: opts.Fallback}
}

func (l *layoutFS) Open(name string) (fs.File, error) {
	f, err := l.dir.Open(name)
	d, ok := l.missing[name]
	if err == nil || !ok || !errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	info := fileInfo{name: path.Base(name), size: d.Size}
	if d.Size <= maxManifest {
		b, err := l.smallFile(name, d)
		if err != nil {
			return nil, err
		}
		return &fallbackFile{Reader: bytes.NewReader(b), Closer: io.NopCloser(nil), info: info}, nil
	}
	rc, err := l.from.Fetch(l.ctx, d)
	if err != nil {
		return nil, fmt.Errorf("%s (%s), not in the layout folder: %w", name, d.Digest, err)
	}
	v := &verifyReader{r: io.LimitReader(rc, d.Size+1), d: d, v: d.Digest.Verifier()}
	return &fallbackFile{Reader: v, Closer: rc, info: info}, nil
}

// smallFile fetches a small missing file once, verified.
func (l *layoutFS) smallFile(name string, d ocispec.Descriptor) ([]byte, error) {
	if b, ok := l.small.Load(name); ok {
		return b.([]byte), nil
	}
	b, err := fetchSmall(l.ctx, l.from, d)
	if err != nil {
		return nil, fmt.Errorf("%s (%s), not in the layout folder: %w", name, d.Digest, err)
	}
	l.small.Store(name, b)
	return b, nil
}

// Stat answers for a missing file without fetching it (oras-go's Exists).
func (l *layoutFS) Stat(name string) (fs.FileInfo, error) {
	fi, err := fs.Stat(l.dir, name)
	if d, ok := l.missing[name]; ok && errors.Is(err, fs.ErrNotExist) {
		return fileInfo{name: path.Base(name), size: d.Size}, nil
	}
	return fi, err
}

// fallbackFile is a missing file read from the fallback.
type fallbackFile struct {
	io.Reader
	io.Closer
	info fileInfo
}

func (f *fallbackFile) Stat() (fs.FileInfo, error) { return f.info, nil }

// fileInfo describes a missing file: read-only, of its blob's size.
type fileInfo struct {
	name string
	size int64
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return 0o444 }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return nil }

// verifyReader checks the bytes read through it against d: the Read that
// reaches the end (or passes d.Size) fails with ErrDigestMismatch when
// they do not match.
type verifyReader struct {
	r io.Reader
	d ocispec.Descriptor
	v digest.Verifier
	n int64
}

func (v *verifyReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.v.Write(p[:n])
	v.n += int64(n)
	switch {
	case v.n > v.d.Size:
		return n, fmt.Errorf("blob %s: more than the descriptor's %d bytes: %w", v.d.Digest, v.d.Size, ErrDigestMismatch)
	case err == io.EOF && v.n < v.d.Size:
		return n, fmt.Errorf("blob %s: %d bytes, descriptor says %d: %w", v.d.Digest, v.n, v.d.Size, ErrDigestMismatch)
	case err == io.EOF && !v.v.Verified():
		return n, fmt.Errorf("blob %s: content does not hash to it: %w", v.d.Digest, ErrDigestMismatch)
	}
	return n, err
}

// onMounted reports a mounted blob as an Event.
func (o PushOptions) onMounted(_ context.Context, d ocispec.Descriptor) error {
	o.emit(Event{Action: "mount", Desc: d, Done: d.Size})
	return nil
}
