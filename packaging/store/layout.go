package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// Layout writes an OCI image layout folder (oci-layout, index.json,
// blobs/sha256). It is the one writer of layouts in ckpt: the Store and a
// bundle step's output (packaging/modelpack) both put blobs and write
// index.json through it.
//
// Every blob goes through commit: its bytes are first hashed (streamed into
// a synced temporary file in ingest/, or read where they already are on
// disk), then renamed or hard-linked to blobs/sha256/<hex>, and the folder
// is synced. A blob already present is kept when its bytes still match
// its digest, and replaced otherwise (repair on write). index.json is written
// atomically (internal/state), entries sorted by digest, then name.
//
// Layout does not lock index.json: the Store does (index.lock), a bundle
// step writes its own folder alone.
type Layout struct {
	root string
	// committed, when set, is told of every blob the layout wrote, with
	// the identity of the file whose bytes were hashed (the Store stamps
	// it as verified).
	committed func(d digest.Digest, fi fs.FileInfo)
	// intact, when set, tells whether the existing blob d is intact (the
	// Store trusts its stamps); default: hash the file.
	intact func(ctx context.Context, d digest.Digest) bool
}

// CreateLayout opens the OCI image layout at root for writing, creating its
// folders and oci-layout file when absent. An existing oci-layout file must
// name layout version 1.0.0.
func CreateLayout(root string) (*Layout, error) {
	l := &Layout{root: root}
	for _, d := range []string{l.blobDir(), l.ingestDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("layout %s: %w", root, err)
		}
	}
	if err := l.ensureLayoutFile(); err != nil {
		return nil, err
	}
	return l, nil
}

// Root is the layout's folder.
func (l *Layout) Root() string { return l.root }

func (l *Layout) blobDir() string   { return filepath.Join(l.root, "blobs", "sha256") }
func (l *Layout) ingestDir() string { return filepath.Join(l.root, "ingest") }
func (l *Layout) indexPath() string { return filepath.Join(l.root, ocispec.ImageIndexFile) }

// BlobPath returns the path of the blob with digest d (which may not exist).
func (l *Layout) BlobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("digest %q: %w", d, err)
	}
	if d.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("digest %s: unsupported algorithm", d)
	}
	return filepath.Join(l.blobDir(), d.Encoded()), nil
}

// Exists reports whether the blob d is in the layout.
func (l *Layout) Exists(d digest.Digest) (bool, error) {
	p, err := l.BlobPath(d)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("blob %s: %w", d, err)
}

// Ingest stores the blob read from r. When want is set the bytes must hash
// to it (and have size bytes when size >= 0), else the error wraps
// ErrCorrupt and nothing is stored.
func (l *Layout) Ingest(ctx context.Context, r io.Reader, want digest.Digest, size int64) (ocispec.Descriptor, error) {
	return l.ingest(ctx, func(w io.Writer) error { _, err := copyCtx(ctx, w, r); return err }, want, size)
}

// IngestBytes stores b as a blob of mediaType.
func (l *Layout) IngestBytes(ctx context.Context, mediaType string, b []byte) (ocispec.Descriptor, error) {
	d, err := l.Ingest(ctx, bytes.NewReader(b), digest.FromBytes(b), int64(len(b)))
	d.MediaType = mediaType
	return d, err
}

// IngestFunc stores what write produces as a blob, hashed on the way (an
// encoder that writes a layer straight into the layout).
func (l *Layout) IngestFunc(ctx context.Context, write func(w io.Writer) error) (ocispec.Descriptor, error) {
	return l.ingest(ctx, func(w io.Writer) error { return write(&ctxWriter{ctx: ctx, w: w}) }, "", -1)
}

func (l *Layout) ingest(ctx context.Context, write func(io.Writer) error, want digest.Digest, size int64) (ocispec.Descriptor, error) {
	if want != "" {
		if ok, err := l.present(ctx, want); err != nil || ok {
			return ocispec.Descriptor{Digest: want, Size: size}, err
		}
	}
	f, err := os.CreateTemp(l.ingestDir(), "blob-*")
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("ingest: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	dg := digest.SHA256.Digester()
	cw := &countWriter{w: io.MultiWriter(f, dg.Hash())}
	err = write(cw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	desc := ocispec.Descriptor{Digest: dg.Digest(), Size: cw.n}
	if err != nil {
		return desc, fmt.Errorf("ingest %s: %w", want, err)
	}
	if want != "" && (desc.Digest != want || (size >= 0 && desc.Size != size)) {
		return desc, fmt.Errorf("ingest %s: got %s (%d bytes, want %d): %w", want, desc.Digest, desc.Size, size, ErrCorrupt)
	}
	return desc, l.commit(ctx, desc.Digest, tmp, nil, func(p string) error { return renameReadOnly(tmp, p) })
}

// MoveFile hashes the file at path and moves it into blobs/ (read-only).
// A file with other hard links (which might be a user's own file) or on
// another file system is copied instead, so that the layout never shares
// an inode with a file it does not own.
func (l *Layout) MoveFile(ctx context.Context, path string) (ocispec.Descriptor, error) {
	return l.addFile(ctx, path, func(f *os.File, desc ocispec.Descriptor) (bool, error) {
		fi, err := f.Stat()
		if err != nil {
			return false, err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Nlink != 1 {
			return false, nil
		}
		err = l.commit(ctx, desc.Digest, "", nil, func(p string) error { return renameReadOnly(path, p) })
		if errors.Is(err, syscall.EXDEV) {
			return false, nil
		}
		return true, err
	})
}

// LinkFile hashes the file at path and hard-links it into blobs/ (no copy,
// the file is left as it is), or copies it when a link is impossible. A
// symbolic link at path (an input that refers to a user's file) is
// stored as ReferFile does.
func (l *Layout) LinkFile(ctx context.Context, path string) (ocispec.Descriptor, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return l.ReferFile(ctx, path, nil)
	}
	return l.addFile(ctx, path, func(_ *os.File, desc ocispec.Descriptor) (bool, error) {
		err := l.commit(ctx, desc.Digest, "", nil, func(p string) error { return os.Link(path, p) })
		return err == nil, nil
	})
}

// addFile hashes the file at path and lets place put it into blobs/; when
// place does not (false, nil), the bytes are copied through ingest.
func (l *Layout) addFile(ctx context.Context, path string, place func(*os.File, ocispec.Descriptor) (bool, error)) (ocispec.Descriptor, error) {
	f, err := os.Open(path)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer f.Close()
	desc, err := copyHashed(ctx, io.Discard, f)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return desc, fmt.Errorf("%s: %w", path, err)
	}
	if ok, err := l.present(ctx, desc.Digest); err != nil || ok {
		return desc, err
	}
	if done, err := place(f, desc); done || err != nil {
		if err != nil {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return desc, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return desc, fmt.Errorf("%s: %w", path, err)
	}
	_, err = l.Ingest(ctx, f, desc.Digest, desc.Size)
	return desc, err
}

// commit is the one function that puts a blob into an OCI layout: place
// moves or links bytes already known to hash to d to the blob's path,
// then the folder is synced. verified is the identity of the file whose
// bytes were hashed (nil: the blob's file as placed). A blob already
// present is kept (place is not called) when it is intact; a corrupt one
// is replaced atomically: place puts the bytes at a temporary name in
// ingest/ (tmp, when they are there already) that is renamed over it.
func (l *Layout) commit(ctx context.Context, d digest.Digest, tmp string, verified fs.FileInfo, place func(blobPath string) error) error {
	p, err := l.BlobPath(d)
	if err != nil {
		return err
	}
	if ok, err := l.present(ctx, d); err != nil {
		return err
	} else if ok {
		return nil
	}
	if err := l.replace(d, p, tmp, place); err != nil {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	if err := state.SyncDir(l.blobDir()); err != nil {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	if l.committed == nil {
		return nil
	}
	if verified == nil {
		if verified, err = os.Stat(p); err != nil {
			return nil // no stamp: the blob is hashed when next read
		}
	}
	l.committed(d, verified)
	return nil
}

// replace puts the blob at p: straight there when p is free, else through
// a temporary name renamed over what p holds.
func (l *Layout) replace(d digest.Digest, p, tmp string, place func(string) error) error {
	if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
		if err := place(p); err == nil || !errors.Is(err, os.ErrExist) {
			return err
		}
		// another writer committed it meanwhile: that one is intact
		return nil
	}
	if tmp == "" {
		f, err := os.CreateTemp(l.ingestDir(), "repair-*")
		if err != nil {
			return err
		}
		tmp = f.Name()
		f.Close()
		os.Remove(tmp)
		defer os.Remove(tmp)
		if err := place(tmp); err != nil {
			return err
		}
	} else if err := os.Chmod(tmp, 0o444); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// present reports whether blob d is in the layout with bytes that match
// its digest. A blob that does not is reported absent, so that the write
// at hand replaces it.
func (l *Layout) present(ctx context.Context, d digest.Digest) (bool, error) {
	if ok, err := l.Exists(d); err != nil || !ok {
		return false, err
	}
	if l.intact != nil {
		return l.intact(ctx, d), ctx.Err()
	}
	return hashFile(ctx, l, d) == nil, ctx.Err()
}

// hashFile checks that blob d's file hashes to d.
func hashFile(ctx context.Context, l *Layout, d digest.Digest) error {
	p, err := l.BlobPath(d)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	defer f.Close()
	v := d.Verifier()
	if _, err := copyCtx(ctx, v, f); err != nil {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	if !v.Verified() {
		return fmt.Errorf("blob %s: %w", d, ErrCorrupt)
	}
	return nil
}

// renameReadOnly makes the file at from read-only and renames it to to.
func renameReadOnly(from, to string) error {
	if err := os.Chmod(from, 0o444); err != nil {
		return err
	}
	return os.Rename(from, to)
}

// WriteIndex writes index.json listing manifests, sorted by digest, then
// name (org.opencontainers.image.ref.name), atomically.
func (l *Layout) WriteIndex(manifests []ocispec.Descriptor) error {
	ms := append([]ocispec.Descriptor{}, manifests...)
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.Digest != b.Digest {
			return a.Digest < b.Digest
		}
		return a.Annotations[ocispec.AnnotationRefName] < b.Annotations[ocispec.AnnotationRefName]
	})
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: ms}
	b, err := json.Marshal(idx)
	if err != nil {
		return fmt.Errorf("layout %s: index: %w", l.root, err)
	}
	return state.WriteFile(l.indexPath(), append(b, '\n'), 0o644)
}

// Done removes the ingest folder of a layout that is complete (a bundle),
// when no partial blob is left in it.
func (l *Layout) Done() { _ = os.Remove(l.ingestDir()) }

func (l *Layout) ensureLayoutFile() error {
	p := filepath.Join(l.root, ocispec.ImageLayoutFile)
	b, err := os.ReadFile(p)
	if err == nil {
		var il ocispec.ImageLayout
		if err := json.Unmarshal(b, &il); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if il.Version != ocispec.ImageLayoutVersion {
			return fmt.Errorf("%s: unsupported layout version %q", p, il.Version)
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", p, err)
	}
	b, _ = json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	return state.WriteFile(p, b, 0o644)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
