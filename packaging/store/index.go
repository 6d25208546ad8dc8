package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/gofrs/flock"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// tagPattern is the OCI distribution tag grammar.
var tagPattern = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

// ErrInvalidName reports a name that is not a valid OCI tag.
var ErrInvalidName = errors.New("invalid name: want an OCI tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127})")

func (s *Store) ensureIndex(ctx context.Context) error {
	if _, err := os.Stat(s.indexPath()); err == nil {
		return nil
	}
	return s.updateIndex(ctx, func(*ocispec.Index) bool { return true })
}

// Tag names desc (a manifest already in the store) name in index.json,
// replacing whatever the name pointed to.
func (s *Store) Tag(ctx context.Context, desc ocispec.Descriptor, name string) error {
	if !tagPattern.MatchString(name) {
		return fmt.Errorf("tag %q: %w", name, ErrInvalidName)
	}
	if ok, err := s.Exists(ctx, desc); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("tag %q: manifest %s: %w", name, desc.Digest, errdef.ErrNotFound)
	}
	d := ocispec.Descriptor{MediaType: desc.MediaType, ArtifactType: desc.ArtifactType,
		Digest: desc.Digest, Size: desc.Size,
		Annotations: map[string]string{ocispec.AnnotationRefName: name}}
	return s.updateIndex(ctx, func(idx *ocispec.Index) bool {
		kept := idx.Manifests[:0]
		for _, m := range idx.Manifests {
			if m.Annotations[ocispec.AnnotationRefName] == name {
				if m.Digest == desc.Digest {
					return false
				}
				continue
			}
			kept = append(kept, m)
		}
		idx.Manifests = append(kept, d)
		return true
	})
}

// Resolve returns the manifest descriptor named name, a tag in index.json
// or a manifest digest ("sha256:..."). An unknown name gives an error
// wrapping errdef.ErrNotFound.
func (s *Store) Resolve(ctx context.Context, name string) (ocispec.Descriptor, error) {
	if d, err := digest.Parse(name); err == nil {
		return s.resolveDigest(ctx, d)
	}
	idx, err := s.readIndex()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	for _, m := range idx.Manifests {
		if m.Annotations[ocispec.AnnotationRefName] == name {
			m.Annotations = nil
			return m, nil
		}
	}
	return ocispec.Descriptor{}, fmt.Errorf("%s: %w", name, errdef.ErrNotFound)
}

// Tags lists the names in index.json, sorted.
func (s *Store) Tags(_ context.Context) ([]string, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range idx.Manifests {
		if n := m.Annotations[ocispec.AnnotationRefName]; n != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *Store) readIndex() (*ocispec.Index, error) {
	b, err := os.ReadFile(s.indexPath())
	if err != nil {
		return nil, fmt.Errorf("store index: %w", err)
	}
	idx, err := parseIndex(b)
	if err != nil {
		return nil, fmt.Errorf("store index %s: %w", s.indexPath(), err)
	}
	return idx, nil
}

// parseIndex decodes index.json; a null manifest list is read as empty.
func parseIndex(b []byte) (*ocispec.Index, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, err
	}
	if idx.Manifests == nil {
		idx.Manifests = []ocispec.Descriptor{}
	}
	return &idx, nil
}

// updateIndex runs change on index.json under the store's file lock and
// writes the result when change returns true.
func (s *Store) updateIndex(ctx context.Context, change func(*ocispec.Index) bool) error {
	lock := flock.New(filepath.Join(s.root, "index.lock"))
	ok, err := lock.TryLockContext(ctx, 5*time.Millisecond)
	if err != nil {
		return fmt.Errorf("store index lock: %w", err)
	}
	if !ok {
		return fmt.Errorf("store index lock: %w", ctx.Err())
	}
	defer lock.Unlock()
	idx := &ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	if _, err := os.Stat(s.indexPath()); err == nil {
		if idx, err = s.readIndex(); err != nil {
			return err
		}
	}
	if !change(idx) {
		return nil
	}
	return s.lay.WriteIndex(idx.Manifests)
}

// resolveDigest returns the descriptor of the manifest blob d.
func (s *Store) resolveDigest(_ context.Context, d digest.Digest) (ocispec.Descriptor, error) {
	p, err := s.BlobPath(d)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return ocispec.Descriptor{}, fmt.Errorf("manifest %s: %w", d, errdef.ErrNotFound)
	}
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("manifest %s: %w", d, err)
	}
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: specv1.MediaTypeArtifact,
		Digest: d, Size: fi.Size()}, nil
}
