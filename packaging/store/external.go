package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrExternalChanged reports an external blob (a layer whose bytes stay in
// a user's file) whose file no longer holds the bytes the store recorded:
// changed, or removed. Such an error wraps ErrCorrupt too.
var ErrExternalChanged = errors.New("the referenced file changed since the store recorded it")

// Known gives the sha256 digest of the file at path, whose current
// identity is info, when the caller hashed it already (a build's hash
// cache); false: the store hashes the file.
type Known = func(path string, info fs.FileInfo) (digest.Digest, bool)

// externalError is an external blob whose file changed (err wraps
// ErrCorrupt) or is gone (err wraps fs.ErrNotExist).
type externalError struct {
	d    digest.Digest
	path string
	err  error
}

func (e *externalError) Error() string {
	what := "changed since the store recorded it"
	if errors.Is(e.err, fs.ErrNotExist) {
		what = "is gone"
	}
	return fmt.Sprintf("blob %s refers to %s, which %s", e.d, e.path, what)
}

func (e *externalError) Is(target error) bool {
	return target == ErrExternalChanged || target == ErrCorrupt
}

func (e *externalError) Unwrap() error { return e.err }

// externalTarget returns the user's file that blob d refers to, when d is
// an external blob (a symbolic link to an absolute path).
func (l *Layout) externalTarget(d digest.Digest) (string, bool) {
	p, err := l.BlobPath(d)
	if err != nil {
		return "", false
	}
	target, err := os.Readlink(p)
	return target, err == nil && filepath.IsAbs(target)
}

// ReferFile stores the file that the symbolic link at link points to (an
// absolute path: a user's file) without copying it: blobs/ gets a reflink
// of it (a copy-on-write clone, where the file system has them: the blob is
// then the store's own file), else an external blob, a symbolic link to
// the file, whose stamp records the identity (device, inode, size, mtime)
// the file had when it was hashed. known, when set, spares hashing a file
// the caller hashed already. The file itself is never written, moved,
// renamed, chmodded or hard-linked.
func (l *Layout) ReferFile(ctx context.Context, link string, known Known) (ocispec.Descriptor, error) {
	real, err := filepath.EvalSymlinks(link)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	f, err := os.Open(real)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if !fi.Mode().IsRegular() {
		return ocispec.Descriptor{}, fmt.Errorf("%s: links to %s, not a regular file", link, real)
	}
	desc, err := hashOpen(ctx, f, fi, known)
	if err != nil {
		return desc, fmt.Errorf("%s: %w", real, err)
	}
	if ok, err := l.present(ctx, desc.Digest); err != nil || ok {
		return desc, err
	}
	if cloned, err := l.cloneIn(ctx, f, fi, desc.Digest); cloned || err != nil {
		if err != nil {
			err = fmt.Errorf("%s: %w", real, err)
		}
		return desc, err
	}
	return desc, l.commit(ctx, desc.Digest, "", fi, func(p string) error { return os.Symlink(real, p) })
}

// hashOpen returns the digest of f, whose identity is fi: known's answer,
// else f's bytes hashed. A file whose identity changed while it was read
// is an error.
func hashOpen(ctx context.Context, f *os.File, fi fs.FileInfo, known Known) (ocispec.Descriptor, error) {
	if known != nil {
		if d, ok := known(f.Name(), fi); ok && d.Validate() == nil {
			return ocispec.Descriptor{Digest: d, Size: fi.Size()}, nil
		}
	}
	desc, err := copyHashed(ctx, io.Discard, f)
	if err != nil {
		return desc, err
	}
	return desc, unchanged(f, fi)
}

// unchanged checks that the open file f still has the identity fi.
func unchanged(f *os.File, fi fs.FileInfo) error {
	now, err := f.Stat()
	if err != nil {
		return err
	}
	a, _ := idOf(fi)
	b, _ := idOf(now)
	if a != b {
		return errors.New("changed while the store read it")
	}
	return nil
}

// cloneIn commits a reflink of f (identity fi, digest d) as blob d; it
// reports false, with nothing written, where the file system cannot clone.
func (l *Layout) cloneIn(ctx context.Context, f *os.File, fi fs.FileInfo, d digest.Digest) (bool, error) {
	tmp, err := os.CreateTemp(l.ingestDir(), "clone-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if reflink(tmp, f) != nil {
		tmp.Close()
		return false, nil
	}
	err = unchanged(f, fi)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return true, err
	}
	return true, l.commit(ctx, d, tmp.Name(), nil, func(p string) error { return renameReadOnly(tmp.Name(), p) })
}
