package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
)

// ErrCorrupt reports a blob whose bytes do not match its digest or size.
var ErrCorrupt = errors.New("blob content does not match its digest")

const copyBuf = 1 << 20

// Push stores the blob read from r, which must match expected's digest and
// size. A blob already present is not written again unless it is corrupt.
func (s *Store) Push(ctx context.Context, expected ocispec.Descriptor, r io.Reader) error {
	if _, err := s.BlobPath(expected.Digest); err != nil {
		return err
	}
	_, err := s.lay.Ingest(ctx, r, expected.Digest, expected.Size)
	return err
}

// PushBytes stores b as a blob of mediaType and returns its descriptor.
func (s *Store) PushBytes(ctx context.Context, mediaType string, b []byte) (ocispec.Descriptor, error) {
	return s.lay.IngestBytes(ctx, mediaType, b)
}

// Exists reports whether the blob of desc is in the store.
func (s *Store) Exists(_ context.Context, desc ocispec.Descriptor) (bool, error) {
	return s.lay.Exists(desc.Digest)
}

// Fetch opens the blob of desc. The reader verifies size and digest as it
// is read: the Read that reaches the end returns an error wrapping
// ErrCorrupt when they do not match.
func (s *Store) Fetch(_ context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	p, err := s.BlobPath(desc.Digest)
	if err != nil {
		return nil, err
	}
	f, err := s.lay.openBlob(desc.Digest, p)
	if err != nil {
		return nil, err
	}
	return s.lay.verifier(f, desc), nil
}

// openBlob opens blob d's file at p. A missing blob gives an error
// wrapping errdef.ErrNotFound; an external blob whose file is gone one
// wrapping ErrExternalChanged.
func (l *Layout) openBlob(d digest.Digest, p string) (*os.File, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		if target, ok := l.externalTarget(d); ok {
			return nil, &externalError{d: d, path: target, err: err}
		}
		return nil, fmt.Errorf("blob %s: %w", d, errdef.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return f, nil
}

// verifier reads f, blob desc's file, checking its size and digest.
func (l *Layout) verifier(f *os.File, desc ocispec.Descriptor) *verifier {
	v := &verifier{f: f, d: desc.Digest, size: desc.Size, v: desc.Digest.Verifier()}
	v.ext, _ = l.externalTarget(desc.Digest)
	return v
}

// FetchAll reads a whole blob (a manifest or a config), verified.
func (s *Store) FetchAll(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	rc, err := s.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

type verifier struct {
	f    *os.File
	d    digest.Digest
	size int64
	n    int64
	v    digest.Verifier
	ext  string // the user's file of an external blob
}

func (r *verifier) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.n += int64(n)
	r.v.Write(p[:n])
	if r.size >= 0 && r.n > r.size {
		return n, r.corrupt(fmt.Errorf("longer than %d bytes: %w", r.size, ErrCorrupt))
	}
	if errors.Is(err, io.EOF) {
		if r.n != r.size || !r.v.Verified() {
			return n, r.corrupt(ErrCorrupt)
		}
	}
	return n, err
}

// corrupt is the error of a blob whose bytes do not match: it names the
// user's file of an external blob.
func (r *verifier) corrupt(err error) error {
	if r.ext != "" {
		return &externalError{d: r.d, path: r.ext, err: err}
	}
	return fmt.Errorf("blob %s: %w", r.d, err)
}

func (r *verifier) Close() error { return r.f.Close() }

// copyHashed copies r to w and returns the digest and size of what it copied.
func copyHashed(ctx context.Context, w io.Writer, r io.Reader) (ocispec.Descriptor, error) {
	dg := digest.SHA256.Digester()
	n, err := copyCtx(ctx, io.MultiWriter(w, dg.Hash()), r)
	return ocispec.Descriptor{Digest: dg.Digest(), Size: n}, err
}

// copyCtx is io.Copy with a 1 MiB buffer that stops when ctx is done.
func copyCtx(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, copyBuf)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, err := r.Read(buf)
		if m > 0 {
			if _, werr := w.Write(buf[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
