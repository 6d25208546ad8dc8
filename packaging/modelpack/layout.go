package modelpack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layout writes an OCI image layout folder (oci-layout, index.json,
// blobs/sha256). Blobs are content addressed and written atomically;
// index.json is written once, sorted, by Close.
type Layout struct {
	dir string
	mu  sync.Mutex
	idx []ocispec.Descriptor
}

// CreateLayout starts an OCI image layout in dir (created if missing).
func CreateLayout(dir string) (*Layout, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return nil, fmt.Errorf("layout %s: %w", dir, err)
	}
	lay := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	if err := os.WriteFile(filepath.Join(dir, ocispec.ImageLayoutFile), lay, 0o644); err != nil {
		return nil, fmt.Errorf("layout %s: %w", dir, err)
	}
	return &Layout{dir: dir}, nil
}

// Dir is the layout's folder.
func (l *Layout) Dir() string { return l.dir }

// BlobPath is where the blob of d lives.
func (l *Layout) BlobPath(d digest.Digest) string {
	return filepath.Join(l.dir, "blobs", d.Algorithm().String(), d.Encoded())
}

// PutBytes stores b as a blob and returns its descriptor.
func (l *Layout) PutBytes(mediaType string, b []byte) (ocispec.Descriptor, error) {
	d := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
	p := l.BlobPath(d.Digest)
	if _, err := os.Stat(p); err == nil {
		return d, nil
	}
	return d, l.commit(p, func(f *os.File) error { _, err := f.Write(b); return err })
}

// PutStream stores what write produces as a blob, hashing it on the way.
func (l *Layout) PutStream(ctx context.Context, mediaType string, write func(io.Writer) error) (ocispec.Descriptor, error) {
	f, err := os.CreateTemp(filepath.Join(l.dir, "blobs", "sha256"), ".ingest-*")
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("layout %s: %w", l.dir, err)
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	err = write(&ctxWriter{ctx: ctx, w: cw})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	d := ocispec.Descriptor{MediaType: mediaType, Digest: digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil))), Size: cw.n}
	if err := os.Rename(f.Name(), l.BlobPath(d.Digest)); err != nil {
		return d, fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return d, nil
}

// PutFile stores the file at src as a raw blob: hashed, then hardlinked into
// blobs/sha256 (no copy), or copied when a link is impossible.
func (l *Layout) PutFile(ctx context.Context, mediaType, src string) (ocispec.Descriptor, error) {
	d, err := hashFile(ctx, src)
	if err != nil {
		return d, err
	}
	d.MediaType = mediaType
	p := l.BlobPath(d.Digest)
	if _, err := os.Stat(p); err == nil {
		return d, nil
	}
	if err := os.Link(src, p); err == nil || errors.Is(err, os.ErrExist) {
		return d, nil
	}
	return d, l.commit(p, func(f *os.File) error {
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(f, &ctxReader{ctx: ctx, r: in})
		return err
	})
}

func (l *Layout) commit(p string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".ingest-*")
	if err != nil {
		return fmt.Errorf("blob %s: %w", filepath.Base(p), err)
	}
	defer os.Remove(f.Name())
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		return fmt.Errorf("blob %s: %w", filepath.Base(p), err)
	}
	return nil
}

// AddManifest stores manifest m and lists it in index.json, tagged with tag
// when tag is not empty.
func (l *Layout) AddManifest(m ocispec.Manifest, tag string) (ocispec.Descriptor, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("manifest: %w", err)
	}
	d, err := l.PutBytes(ocispec.MediaTypeImageManifest, b)
	if err != nil {
		return d, err
	}
	d.ArtifactType = m.ArtifactType
	if m.ArtifactType == "" {
		d.ArtifactType = m.Config.MediaType
	}
	entry := d
	if tag != "" {
		entry.Annotations = map[string]string{ocispec.AnnotationRefName: tag}
	}
	l.mu.Lock()
	l.idx = append(l.idx, entry)
	l.mu.Unlock()
	return d, nil
}

// Close writes index.json, entries sorted by digest then tag.
func (l *Layout) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	sort.SliceStable(l.idx, func(i, j int) bool {
		a, b := l.idx[i], l.idx[j]
		if a.Digest != b.Digest {
			return a.Digest < b.Digest
		}
		return a.Annotations[ocispec.AnnotationRefName] < b.Annotations[ocispec.AnnotationRefName]
	})
	idx := ocispec.Index{Versioned: specsVersioned(), MediaType: ocispec.MediaTypeImageIndex, Manifests: l.idx}
	b, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(l.dir, ocispec.ImageIndexFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("layout %s: %w", l.dir, err)
	}
	return nil
}

func hashFile(ctx context.Context, src string) (ocispec.Descriptor, error) {
	f, err := os.Open(src)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("hash: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, &ctxReader{ctx: ctx, r: f}, make([]byte, 1<<20))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("hash %s: %w", src, err)
	}
	return ocispec.Descriptor{Digest: digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil))), Size: n}, nil
}

// marshalJSON encodes v without HTML escaping, as the bytes of a blob.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
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

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
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
