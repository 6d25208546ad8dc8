package modelpack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/packaging/store"
)

// Layout is a bundle's OCI image layout folder being written: blobs go
// through store.Layout, the one layout writer; the manifests added are
// listed in index.json when Close writes it.
type Layout struct {
	w   *store.Layout
	mu  sync.Mutex
	idx []ocispec.Descriptor
}

// CreateLayout starts an OCI image layout in dir (created if missing).
func CreateLayout(dir string) (*Layout, error) {
	w, err := store.CreateLayout(dir)
	if err != nil {
		return nil, err
	}
	return &Layout{w: w}, nil
}

// Dir is the layout's folder.
func (l *Layout) Dir() string { return l.w.Root() }

// BlobPath is where the blob of d lives.
func (l *Layout) BlobPath(d digest.Digest) string {
	p, _ := l.w.BlobPath(d)
	return p
}

// PutBytes stores b as a blob and returns its descriptor.
func (l *Layout) PutBytes(mediaType string, b []byte) (ocispec.Descriptor, error) {
	return l.w.IngestBytes(context.Background(), mediaType, b)
}

// PutStream stores what write produces as a blob, hashing it on the way.
func (l *Layout) PutStream(ctx context.Context, mediaType string, write func(io.Writer) error) (ocispec.Descriptor, error) {
	d, err := l.w.IngestFunc(ctx, write)
	d.MediaType = mediaType
	return d, err
}

// PutFile stores the file at src as a raw blob: hashed, then hardlinked into
// blobs/sha256 (no copy), or copied when a link is impossible.
func (l *Layout) PutFile(ctx context.Context, mediaType, src string) (ocispec.Descriptor, error) {
	d, err := l.w.LinkFile(ctx, src)
	d.MediaType = mediaType
	return d, err
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

// Close writes index.json; the layout is complete.
func (l *Layout) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.w.WriteIndex(l.idx); err != nil {
		return err
	}
	l.w.Done()
	return nil
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
