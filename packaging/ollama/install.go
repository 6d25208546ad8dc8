package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// ErrNotOllama is wrapped when a manifest is not in Ollama's format.
var ErrNotOllama = errors.New("not an Ollama model")

// maxManifest bounds the manifest and config read into memory.
const maxManifest = 4 << 20

// Source is what Install reads: a registry repository (oras-go's
// remote.Repository) or any content store.
type Source interface {
	Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error)
	Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error)
}

// Name is where a model lives in an Ollama models folder:
// manifests/<Host>/<Namespace>/<Model>/<Tag>.
type Name struct {
	Host, Namespace, Model, Tag string
}

// ParseName splits "host[:port]/namespace/model" and a tag (default
// "latest") into a Name; Ollama names have exactly one namespace.
func ParseName(repository, tag string) (Name, error) {
	parts := strings.Split(repository, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Name{}, fmt.Errorf("%s: an Ollama model name is host/namespace/model", repository)
	}
	if tag == "" || strings.Contains(tag, ":") {
		tag = "latest"
	}
	return Name{Host: parts[0], Namespace: parts[1], Model: parts[2], Tag: tag}, nil
}

// String is the name as `ollama list` shows it.
func (n Name) String() string { return n.Host + "/" + n.Namespace + "/" + n.Model + ":" + n.Tag }

// Install copies the Ollama model reference names in src into the models
// folder dir as Ollama's own pull does: every blob verified against its
// digest into blobs/sha256-<hex> (blobs already there with the right size
// are kept), then the manifest at manifests/<host>/<namespace>/<model>/<tag>,
// written last and atomically. It returns the manifest's descriptor.
func Install(ctx context.Context, src Source, reference string, n Name, dir string) (ocispec.Descriptor, error) {
	d, err := src.Resolve(ctx, reference)
	if err != nil {
		return d, fmt.Errorf("resolve %s: %w", n, err)
	}
	if d.MediaType != MediaTypeManifest {
		return d, fmt.Errorf("%s: %w: manifest media type %s", n, ErrNotOllama, d.MediaType)
	}
	mb, err := fetchAll(ctx, src, d)
	if err != nil {
		return d, err
	}
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return d, fmt.Errorf("%s: manifest %s: %w", n, d.Digest, err)
	}
	if m.Config.MediaType != MediaTypeConfig {
		return d, fmt.Errorf("%s: %w: config media type %s", n, ErrNotOllama, m.Config.MediaType)
	}
	blobs := filepath.Join(dir, "blobs")
	for _, l := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if l.MediaType != MediaTypeConfig && !strings.HasPrefix(l.MediaType, "application/vnd.ollama.image.") {
			return d, fmt.Errorf("%s: %w: layer %s has media type %s", n, ErrNotOllama, l.Digest, l.MediaType)
		}
		if err := installBlob(ctx, src, l, blobs); err != nil {
			return d, err
		}
	}
	p := filepath.Join(dir, "manifests", n.Host, n.Namespace, n.Model, n.Tag)
	return d, state.WriteFile(p, mb, 0o644)
}

// BlobPath is where Ollama keeps the blob of d under models folder dir.
func BlobPath(dir string, d digest.Digest) string {
	return filepath.Join(dir, "blobs", d.Algorithm().String()+"-"+d.Encoded())
}

func fetchAll(ctx context.Context, src Source, d ocispec.Descriptor) ([]byte, error) {
	if d.Size > maxManifest {
		return nil, fmt.Errorf("manifest %s: %d bytes", d.Digest, d.Size)
	}
	rc, err := src.Fetch(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", d.Digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, d.Size+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", d.Digest, err)
	}
	if int64(len(b)) != d.Size || digest.FromBytes(b) != d.Digest {
		return nil, fmt.Errorf("manifest %s: content does not match its digest", d.Digest)
	}
	return b, nil
}

// installBlob downloads one blob, verified, unless it is already there.
func installBlob(ctx context.Context, src Source, d ocispec.Descriptor, blobs string) error {
	if err := d.Digest.Validate(); err != nil || d.Digest.Algorithm() != digest.SHA256 {
		return fmt.Errorf("blob %q: not a sha256 digest", d.Digest)
	}
	p := filepath.Join(blobs, "sha256-"+d.Digest.Encoded())
	if st, err := os.Stat(p); err == nil && st.Size() == d.Size {
		return nil
	}
	rc, err := src.Fetch(ctx, d)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", d.Digest, err)
	}
	defer rc.Close()
	f, err := state.Create(p, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	v := d.Digest.Verifier()
	n, err := io.Copy(io.MultiWriter(f, v), io.LimitReader(rc, d.Size+1))
	if err != nil {
		return fmt.Errorf("fetch %s: %w", d.Digest, err)
	}
	if n != d.Size || !v.Verified() {
		return fmt.Errorf("blob %s: content does not match its digest (%d bytes, want %d)", d.Digest, n, d.Size)
	}
	return f.Commit()
}
