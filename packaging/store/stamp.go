package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// A verification stamp (verified/sha256/<hex>) records the identity of a
// blob file at a moment its bytes were known to match its digest: when the
// store wrote it, or after a full Verify. It holds one line
//
//	v1 <device> <inode> <size> <mtime-unix-ns>
//
// Materialize trusts a blob whose file still has that identity and hashes
// the others, like git's index and make. A rewrite in place changes the
// mtime, a replacement changes the inode. A stamp is racy, and ignored,
// when the blob's mtime is not older than the stamp file's own mtime (both
// come from the file system's clock): a write in the same clock tick would
// leave the mtime unchanged. Bit rot and a writer that restores the mtime
// are not seen by stamps: Fetch and Verify always hash.
const stampVersion = "v1"

func (s *Store) stampDir() string { return filepath.Join(s.root, "verified", "sha256") }

// fileID identifies the state of a blob file.
type fileID struct {
	dev, ino    uint64
	size, mtime int64
}

func idOf(fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino, size: fi.Size(), mtime: fi.ModTime().UnixNano()}, true
}

func (id fileID) String() string {
	return fmt.Sprintf("%s %d %d %d %d\n", stampVersion, id.dev, id.ino, id.size, id.mtime)
}

func parseStamp(b []byte) (fileID, bool) {
	var id fileID
	var v string
	n, err := fmt.Sscanf(string(b), "%s %d %d %d %d\n", &v, &id.dev, &id.ino, &id.size, &id.mtime)
	return id, err == nil && n == 5 && v == stampVersion && strings.Count(string(b), "\n") == 1
}

// stamp records id as the verified state of blob d. It is best effort: a
// stamp that cannot be written only means the blob is hashed next time.
func (s *Store) stamp(d digest.Digest, id fileID) {
	_ = state.WriteFile(filepath.Join(s.stampDir(), d.Encoded()), []byte(id.String()), 0o644)
}

// stampInfo stamps blob d with the identity fi of the file it was hashed
// from.
func (s *Store) stampInfo(d digest.Digest, fi os.FileInfo) {
	if id, ok := idOf(fi); ok {
		s.stamp(d, id)
	}
}

// stamped reports whether desc's blob file still has the identity its
// stamp recorded, and that identity has desc's size.
func (s *Store) stamped(desc ocispec.Descriptor) bool {
	p, err := s.BlobPath(desc.Digest)
	if err != nil {
		return false
	}
	want, written, ok := s.readStamp(desc.Digest)
	if !ok || want.size != desc.Size || want.mtime >= written {
		return false // none, another size, or racy: written in the stamp's clock tick or later
	}
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	got, ok := idOf(fi)
	return ok && got == want
}

// readStamp returns blob d's stamp and the stamp file's mtime (ns), read
// from one open file so that both belong to the same stamp.
func (s *Store) readStamp(d digest.Digest) (fileID, int64, bool) {
	f, err := os.Open(filepath.Join(s.stampDir(), d.Encoded()))
	if err != nil {
		return fileID{}, 0, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() > 256 {
		return fileID{}, 0, false
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fileID{}, 0, false
	}
	id, ok := parseStamp(b)
	return id, fi.ModTime().UnixNano(), ok
}

// Verify reads the whole blob of desc and checks its size and digest,
// whatever its stamp says. When the blob matches, its stamp is renewed (with
// the identity its file had before it was read), so that Materialize
// trusts it until the file changes.
func (s *Store) Verify(ctx context.Context, desc ocispec.Descriptor) error {
	p, err := s.BlobPath(desc.Digest)
	if err != nil {
		return err
	}
	f, err := s.lay.openBlob(desc.Digest, p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	r := s.lay.verifier(f, desc)
	if _, err := copyCtx(ctx, io.Discard, r); err != nil {
		if errors.Is(err, ErrCorrupt) {
			os.Remove(filepath.Join(s.stampDir(), desc.Digest.Encoded()))
		}
		return err
	}
	if id, ok := idOf(fi); ok {
		s.stamp(desc.Digest, id)
	}
	return nil
}

// verifyStamped checks desc's blob: by its stamp when the stamp still
// matches the file, else by a full Verify.
func (s *Store) verifyStamped(ctx context.Context, desc ocispec.Descriptor) error {
	if s.stamped(desc) {
		return ctx.Err()
	}
	return s.Verify(ctx, desc)
}

// intactBlob tells whether the existing blob d matches its digest: by its
// stamp, else by hashing it.
func (s *Store) intactBlob(ctx context.Context, d digest.Digest) bool {
	p, err := s.BlobPath(d)
	if err != nil {
		return false
	}
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	return s.verifyStamped(ctx, ocispec.Descriptor{Digest: d, Size: fi.Size()}) == nil
}
