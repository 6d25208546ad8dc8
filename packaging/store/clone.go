package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// place writes the verified blob of layer l at dst (a hard link, a clone
// or a copy); dst does not exist yet and must not be overwritten.
type place func(ctx context.Context, l ocispec.Descriptor, dst string) error

// ExportOptions configure Export. The zero value writes files of the
// user's own, that share nothing writable with the store.
type ExportOptions struct {
	// Link hard-links the files to the store's blobs, as Materialize does
	// (an external blob: a symbolic link to the user's file it refers to):
	// no copy, no space. The files are the blobs: a write to one (root may
	// write a read-only file, anyone may chmod their own) changes the
	// store's blob and every artifact that shares it, and the store then
	// finds it corrupt.
	Link bool
}

// ExportReport counts how Export wrote the files.
type ExportReport struct {
	Files int `json:"files"`
	// Cloned files share their extents with the blob copy-on-write
	// (reflinks, where the file system has them); Copied ones were copied;
	// Linked ones were written with ExportOptions.Link: hard links, or
	// read-only copies where dir is on another file system.
	Cloned int `json:"cloned"`
	Copied int `json:"copied"`
	Linked int `json:"linked"`
}

// exportCount is an ExportReport counted by concurrent writers.
type exportCount struct{ cloned, copied, linked atomic.Int64 }

// Export writes the files of the artifact desc under dir for a user to
// keep: each a reflink (copy-on-write clone) of the store's blob where the
// file system has them, else a copy, with the mode the artifact recorded
// (0644 or 0755, less the umask), so that writing to it never changes the
// store. Blobs are verified first, as Materialize does. Existing files are
// never overwritten.
func (s *Store) Export(ctx context.Context, desc ocispec.Descriptor, dir string, opts ExportOptions) (ExportReport, error) {
	var n exportCount
	put := func(ctx context.Context, l ocispec.Descriptor, dst string) error {
		cloned, err := s.cloneBlob(ctx, l, dst)
		switch {
		case err != nil:
		case cloned:
			n.cloned.Add(1)
		default:
			n.copied.Add(1)
		}
		return err
	}
	if opts.Link {
		put = func(ctx context.Context, l ocispec.Descriptor, dst string) error {
			err := s.linkBlob(ctx, l, dst)
			if err == nil {
				n.linked.Add(1)
			}
			return err
		}
	}
	err := s.materialize(ctx, desc, dir, put)
	rep := ExportReport{Cloned: int(n.cloned.Load()), Copied: int(n.copied.Load()), Linked: int(n.linked.Load())}
	rep.Files = rep.Cloned + rep.Copied + rep.Linked
	return rep, err
}

// cloneBlob writes dst as a reflink of l's blob, or a copy where the file
// system cannot clone; it reports whether it cloned. On error dst is
// removed.
func (s *Store) cloneBlob(ctx context.Context, l ocispec.Descriptor, dst string) (cloned bool, err error) {
	src, err := s.BlobPath(l.Digest)
	if err != nil {
		return false, err
	}
	in, err := os.Open(src)
	if err != nil {
		return false, fmt.Errorf("blob %s: %w", l.Digest, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, exportMode(l))
	if err != nil {
		return false, err
	}
	cloned = reflink(out, in) == nil
	if !cloned {
		err = copyFile(ctx, out, in, l.Size)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return false, fmt.Errorf("%s: %w", dst, err)
	}
	return cloned, nil
}

// exportMode is the mode an exported file is created with.
func exportMode(l ocispec.Descriptor) os.FileMode {
	if l.Annotations[specv1.AnnotationMode] == "0755" {
		return 0o755
	}
	return 0o644
}

// copyChunk bounds each in-kernel copy, so that a cancelled export stops
// within one chunk.
const copyChunk = 64 << 20

// copyFile copies size bytes of in to out, a chunk at a time (io.CopyN
// between files lets the kernel copy: copy_file_range on Linux), and
// checks that in held exactly size bytes.
func copyFile(ctx context.Context, out, in *os.File, size int64) error {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := io.CopyN(out, in, copyChunk)
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if n != size {
		return fmt.Errorf("copied %d bytes, want %d: %w", n, size, ErrCorrupt)
	}
	return nil
}
