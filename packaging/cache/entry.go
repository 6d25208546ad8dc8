package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Entry is one remote cache entry, as its index describes it.
type Entry struct {
	// Key is the step's cache key, sha256:<hex>.
	Key string `json:"key"`
	// Step is the address of the step that made it.
	Step string `json:"step"`
	// Plugin ran the step (its binary digest is the locked one).
	Plugin specv1.PluginID `json:"plugin"`
	// Artifact is the step's artifact manifest.
	Artifact ocispec.Descriptor `json:"artifact"`
	// Size is the bytes of the artifact's config and layers (List only).
	Size int64 `json:"size,omitempty"`
	// Created is when the entry was written.
	Created time.Time `json:"created"`
	// Index is the entry's own index manifest.
	Index ocispec.Descriptor `json:"index"`
}

// errBadEntry marks an index that is not a well-formed cache entry.
var errBadEntry = errors.New("not a ckpt cache entry")

// maxIndex bounds the index, manifest and config bytes read into memory.
const maxIndex = 4 << 20

// newIndex is the index of entry e (Index unset).
func newIndex(e Entry) ([]byte, error) {
	art := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: specv1.MediaTypeArtifact,
		Digest: e.Artifact.Digest, Size: e.Artifact.Size}
	idx := ocispec.Index{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageIndex,
		ArtifactType: specv1.ArtifactTypeCacheEntry,
		Manifests:    []ocispec.Descriptor{art},
		Annotations: map[string]string{
			specv1.AnnotationCacheKey:      e.Key,
			specv1.AnnotationStep:          e.Step,
			specv1.AnnotationPluginName:    e.Plugin.Name,
			specv1.AnnotationPluginVersion: e.Plugin.Version,
			specv1.AnnotationPluginDigest:  e.Plugin.Digest,
			specv1.AnnotationCreated:       e.Created.UTC().Format(time.RFC3339),
		},
	}
	return json.Marshal(idx)
}

// parseEntry decodes an entry's index (untrusted bytes from the registry):
// an OCI index of artifactType ArtifactTypeCacheEntry with one ckpt
// artifact manifest and a well-formed key.
func parseEntry(b []byte) (*Entry, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadEntry, err)
	}
	if idx.MediaType != ocispec.MediaTypeImageIndex || idx.ArtifactType != specv1.ArtifactTypeCacheEntry {
		return nil, fmt.Errorf("%w: media type %q, artifact type %q", errBadEntry, idx.MediaType, idx.ArtifactType)
	}
	if len(idx.Manifests) != 1 {
		return nil, fmt.Errorf("%w: %d manifests, want 1", errBadEntry, len(idx.Manifests))
	}
	art := idx.Manifests[0]
	if art.MediaType != ocispec.MediaTypeImageManifest || art.Digest.Validate() != nil || art.Digest.Algorithm() != digest.SHA256 || art.Size <= 0 || art.Size > maxIndex {
		return nil, fmt.Errorf("%w: artifact descriptor %s (%s, %d bytes)", errBadEntry, art.Digest, art.MediaType, art.Size)
	}
	a := idx.Annotations
	e := &Entry{Key: a[specv1.AnnotationCacheKey], Step: a[specv1.AnnotationStep], Artifact: art,
		Plugin: specv1.PluginID{Name: a[specv1.AnnotationPluginName], Version: a[specv1.AnnotationPluginVersion], Digest: a[specv1.AnnotationPluginDigest]}}
	if d, err := digest.Parse(e.Key); err != nil || d.Algorithm() != digest.SHA256 {
		return nil, fmt.Errorf("%w: cache key %q", errBadEntry, e.Key)
	}
	if t, err := time.Parse(time.RFC3339, a[specv1.AnnotationCreated]); err == nil {
		e.Created = t
	}
	return e, nil
}

// parseArtifact decodes a ckpt artifact manifest (untrusted bytes).
func parseArtifact(b []byte) (*ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m.MediaType != ocispec.MediaTypeImageManifest || m.ArtifactType != specv1.MediaTypeArtifact {
		return nil, fmt.Errorf("media type %q, artifact type %q: not a ckpt artifact", m.MediaType, m.ArtifactType)
	}
	if m.Config.MediaType != specv1.MediaTypeArtifactConfig || m.Config.Size > maxIndex {
		return nil, fmt.Errorf("config %s (%s, %d bytes): not a ckpt artifact config", m.Config.Digest, m.Config.MediaType, m.Config.Size)
	}
	for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if d.Digest.Validate() != nil || d.Size < 0 {
			return nil, fmt.Errorf("blob %q (%d bytes): bad descriptor", d.Digest, d.Size)
		}
	}
	return &m, nil
}
