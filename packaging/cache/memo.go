package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// memoPrefix starts every memo entry's tag.
const memoPrefix = "memo-"

// Memo is one remote memo entry (specv1.ArtifactTypeMemo): a plugin's
// answer shared by the cache's runners (plugins/host.RemoteMemo).
type Memo struct {
	// Kind is "describe" or "validate".
	Kind string `json:"kind"`
	// Key is "sha256:" over kind and the memo's key (the tag's hex).
	Key string `json:"key"`
	// Plugin made the answer (name and binary digest; no version).
	Plugin specv1.PluginID `json:"plugin"`
	// Size is the answer's bytes.
	Size int64 `json:"size"`
	// Manifest is the entry's manifest.
	Manifest ocispec.Descriptor `json:"manifest"`
}

// memoKey is the digest that names the memo of kind and key.
func memoKey(kind, key string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + key))
	return "sha256:" + hex.EncodeToString(h[:])
}

// memoTag is the tag of the memo of kind and key.
func memoTag(kind, key string) string { return memoPrefix + memoKey(kind, key)[len("sha256:"):] }

// newMemo is the manifest of answer, deterministic.
func newMemo(kind, key string, plugin specv1.PluginID, answer []byte) ([]byte, error) {
	cfg := content.NewDescriptorFromBytes(specv1.MediaTypeMemo, answer)
	cfg.Data = answer // read in the manifest's one round trip
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: specv1.ArtifactTypeMemo,
		Config:       cfg,
		Layers:       []ocispec.Descriptor{ocispec.DescriptorEmptyJSON},
		Annotations: map[string]string{
			specv1.AnnotationMemoKind:     kind,
			specv1.AnnotationMemoKey:      memoKey(kind, key),
			specv1.AnnotationPluginName:   plugin.Name,
			specv1.AnnotationPluginDigest: plugin.Digest,
		},
	}
	return json.Marshal(m)
}

// parseMemo decodes a memo manifest (untrusted bytes from the registry)
// and its embedded answer, verified against the config's digest; the
// answer is nil when the manifest does not embed it.
func parseMemo(b []byte) (*Memo, *ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("not a ckpt memo: %w", err)
	}
	if m.MediaType != ocispec.MediaTypeImageManifest || m.ArtifactType != specv1.ArtifactTypeMemo || m.Config.MediaType != specv1.MediaTypeMemo {
		return nil, nil, fmt.Errorf("not a ckpt memo: media type %q, artifact type %q, config %q", m.MediaType, m.ArtifactType, m.Config.MediaType)
	}
	if m.Config.Digest.Validate() != nil || m.Config.Size < 0 || m.Config.Size > maxIndex {
		return nil, nil, fmt.Errorf("memo answer %q (%d bytes): bad descriptor", m.Config.Digest, m.Config.Size)
	}
	if m.Config.Data != nil && (int64(len(m.Config.Data)) != m.Config.Size || digest.FromBytes(m.Config.Data) != m.Config.Digest) {
		return nil, nil, fmt.Errorf("memo answer %s: the embedded bytes do not match the digest", m.Config.Digest)
	}
	a := m.Annotations
	e := &Memo{Kind: a[specv1.AnnotationMemoKind], Key: a[specv1.AnnotationMemoKey], Size: m.Config.Size,
		Plugin: specv1.PluginID{Name: a[specv1.AnnotationPluginName], Digest: a[specv1.AnnotationPluginDigest]}}
	if d, err := digest.Parse(e.Key); err != nil || d.Algorithm() != digest.SHA256 {
		return nil, nil, fmt.Errorf("not a ckpt memo: key %q", e.Key)
	}
	return e, &m, nil
}

// LookupMemo returns the answer of the memo of kind and key, which plugin
// (name and binary digest) made, verified: the entry must name that key
// and plugin, and the answer must match its digest and be JSON. Any error
// is a miss; no entry gives one wrapping errdef.ErrNotFound.
func (c *Cache) LookupMemo(ctx context.Context, kind, key string, plugin specv1.PluginID) ([]byte, error) {
	tag := memoTag(kind, key)
	e, m, err := c.readMemo(ctx, tag)
	if err != nil {
		return nil, err
	}
	if e.Kind != kind || e.Key != memoKey(kind, key) {
		return nil, fmt.Errorf("memo %s: it names %s %s", tag, e.Kind, e.Key)
	}
	if e.Plugin.Name != plugin.Name || e.Plugin.Digest != plugin.Digest {
		return nil, fmt.Errorf("memo %s: %w (%s %s), not %s %s", tag, ErrPlugin, e.Plugin.Name, e.Plugin.Digest, plugin.Name, plugin.Digest)
	}
	answer := m.Config.Data
	if answer == nil {
		if answer, err = c.fetchSmall(ctx, m.Config); err != nil {
			return nil, fmt.Errorf("memo %s: answer: %v", tag, err) // a missing answer is no missing entry
		}
	}
	if !json.Valid(answer) {
		return nil, fmt.Errorf("memo %s: the answer is not JSON", tag)
	}
	return answer, nil
}

// readMemo fetches and parses the memo manifest tagged tag.
func (c *Cache) readMemo(ctx context.Context, tag string) (*Memo, *ocispec.Manifest, error) {
	desc, rc, err := c.repo.FetchReference(ctx, tag)
	if err != nil {
		return nil, nil, fmt.Errorf("memo %s in %s: %w", tag, c, err)
	}
	defer rc.Close()
	if desc.MediaType != ocispec.MediaTypeImageManifest || desc.Size > maxIndex {
		return nil, nil, fmt.Errorf("memo %s: %s of %d bytes is not a ckpt memo", tag, desc.MediaType, desc.Size)
	}
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		return nil, nil, fmt.Errorf("memo %s: %w", tag, err)
	}
	e, m, err := parseMemo(b)
	if err != nil {
		return nil, nil, fmt.Errorf("memo %s: %w", tag, err)
	}
	e.Manifest = desc
	return e, m, nil
}

// SaveMemo writes answer (JSON) as the memo of kind and key, which plugin
// made: its config and empty layer blobs, then the manifest by tag, last.
// The manifest is deterministic: a memo already there is left alone, and
// two runners writing one memo write the same bytes.
func (c *Cache) SaveMemo(ctx context.Context, kind, key string, plugin specv1.PluginID, answer []byte) error {
	if !json.Valid(answer) {
		return fmt.Errorf("memo %s: the answer is not JSON", memoTag(kind, key))
	}
	raw, err := newMemo(kind, key, plugin, answer)
	if err != nil {
		return err
	}
	tag := memoTag(kind, key)
	desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, raw)
	if got, err := c.repo.Resolve(ctx, tag); err == nil && got.Digest == desc.Digest {
		return nil
	}
	cfg := content.NewDescriptorFromBytes(specv1.MediaTypeMemo, answer)
	for _, b := range []struct {
		d ocispec.Descriptor
		v []byte
	}{{cfg, answer}, {ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data}} {
		if err := c.pushBlob(ctx, b.d, b.v); err != nil {
			return fmt.Errorf("save %s: %w", tag, err)
		}
	}
	if err := c.repo.PushReference(ctx, desc, bytes.NewReader(raw), tag); err != nil {
		return fmt.Errorf("save %s: %w", tag, err)
	}
	return nil
}

// pushBlob pushes a small blob the registry does not have.
func (c *Cache) pushBlob(ctx context.Context, d ocispec.Descriptor, b []byte) error {
	if ok, err := c.repo.Blobs().Exists(ctx, d); err == nil && ok {
		return nil
	}
	if err := c.repo.Blobs().Push(ctx, d, bytes.NewReader(b)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return nil
}
