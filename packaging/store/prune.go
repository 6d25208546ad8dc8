package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/gofrs/flock"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
)

// ErrInUse is returned by Prune while another Store holds the layout open
// (a build in another process, or in this one).
var ErrInUse = errors.New("store is in use by another ckpt process")

// PruneOptions configure Prune. The zero value prunes.
type PruneOptions struct {
	// DryRun changes nothing and reports what Prune would do.
	DryRun bool
}

// PruneReport tells what Prune removed and what it kept.
type PruneReport struct {
	// Untagged are the names dropped from index.json, sorted.
	Untagged []string `json:"untagged"`
	// Tags is the number of names kept.
	Tags int `json:"tags"`
	// Removed and Freed count the blobs deleted and their bytes.
	Removed int   `json:"removed_blobs"`
	Freed   int64 `json:"freed_bytes"`
	// Partial counts the temporary files of killed writers removed from
	// the ingest folder (their bytes are in Freed).
	Partial int `json:"removed_partial"`
	// Kept and KeptBytes count the blobs still reachable from a kept name.
	Kept      int   `json:"kept_blobs"`
	KeptBytes int64 `json:"kept_bytes"`
	// DryRun is set when nothing was changed.
	DryRun bool `json:"dry_run"`
}

// holdPath is the file whose shared lock every open Store holds, and whose
// exclusive lock Prune takes, so that no blob is swept while a build that
// may still tag it runs.
func (s *Store) holdPath() string { return filepath.Join(s.root, "gc.lock") }

// Close releases the store's hold. A Store is not used after Close.
func (s *Store) Close() error {
	if s.hold == nil {
		return nil
	}
	return s.hold.Close()
}

// Prune drops every name in index.json for which keep returns false, then
// deletes every blob that no kept name reaches (through manifest configs,
// layers, subjects and index entries), with its verification stamp, and
// the partial files of killed writers. It
// refuses with ErrInUse while another Store holds the layout open. index.json
// is rewritten first, atomically, so an interrupted Prune leaves at most some
// unreachable blobs behind; it never removes a reachable one. With
// opts.DryRun, it changes nothing and reports what it would do. Other goroutines must
// not write through this Store meanwhile (other Stores are locked out).
func (s *Store) Prune(ctx context.Context, keep func(name string) bool, opts PruneOptions) (PruneReport, error) {
	rep := PruneReport{DryRun: opts.DryRun}
	release, err := s.exclusive()
	if err != nil {
		return rep, err
	}
	defer release()
	var roots []ocispec.Descriptor
	change := func(idx *ocispec.Index) bool {
		kept := idx.Manifests[:0]
		rep.Untagged, roots = nil, nil
		for _, m := range idx.Manifests {
			name := m.Annotations[ocispec.AnnotationRefName]
			if name != "" && !keep(name) {
				rep.Untagged = append(rep.Untagged, name)
				continue
			}
			kept = append(kept, m)
			roots = append(roots, m)
		}
		idx.Manifests = kept
		return len(rep.Untagged) > 0 && !opts.DryRun
	}
	if err := s.updateIndex(ctx, change); err != nil {
		return rep, err
	}
	sort.Strings(rep.Untagged)
	rep.Tags = len(roots)
	live := map[digest.Digest]bool{}
	for _, r := range roots {
		if err := s.mark(ctx, r, live); err != nil {
			return rep, err
		}
	}
	if err := s.sweep(ctx, live, &rep); err != nil {
		return rep, err
	}
	s.sweepIngest(&rep)
	return rep, nil
}

// sweepIngest removes what killed writers left in the ingest folder: no
// writer is alive while Prune holds the layout alone.
func (s *Store) sweepIngest(rep *PruneReport) {
	entries, _ := os.ReadDir(s.ingestDir())
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if rep.DryRun || os.Remove(filepath.Join(s.ingestDir(), e.Name())) == nil {
			rep.Partial++
			rep.Freed += info.Size()
		}
	}
}

// exclusive trades this Store's shared hold for an exclusive lock of the
// layout, and gives a function that trades it back.
func (s *Store) exclusive() (func(), error) {
	if s.hold != nil {
		s.hold.Unlock()
	}
	ex := flock.New(s.holdPath())
	ok, err := ex.TryLock()
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", s.root, err)
	}
	if !ok {
		s.relock()
		return nil, fmt.Errorf("store %s: %w (a build is running; prune when it ends)", s.root, ErrInUse)
	}
	return func() { ex.Close(); s.relock() }, nil
}

func (s *Store) relock() {
	if s.hold != nil {
		s.hold.RLock()
	}
}

// mark adds desc and everything it reaches to live. What a missing or
// corrupt manifest refers to is left out: a damaged layout is pruned, not
// refused.
func (s *Store) mark(ctx context.Context, desc ocispec.Descriptor, live map[digest.Digest]bool) error {
	if live[desc.Digest] {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	live[desc.Digest] = true
	if !isManifest(desc.MediaType) {
		return nil
	}
	b, err := s.FetchAll(ctx, desc)
	if errors.Is(err, errdef.ErrNotFound) || errors.Is(err, ErrCorrupt) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("prune: manifest %s: %w", desc.Digest, err)
	}
	var m struct {
		Config    *ocispec.Descriptor  `json:"config"`
		Layers    []ocispec.Descriptor `json:"layers"`
		Manifests []ocispec.Descriptor `json:"manifests"`
		Blobs     []ocispec.Descriptor `json:"blobs"`
		Subject   *ocispec.Descriptor  `json:"subject"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("prune: manifest %s: %w", desc.Digest, err)
	}
	refs := append(append(append([]ocispec.Descriptor(nil), m.Layers...), m.Manifests...), m.Blobs...)
	for _, d := range []*ocispec.Descriptor{m.Config, m.Subject} {
		if d != nil {
			refs = append(refs, *d)
		}
	}
	for _, d := range refs {
		if d.Digest.Validate() != nil {
			continue
		}
		if err := s.mark(ctx, d, live); err != nil {
			return err
		}
	}
	return nil
}

func isManifest(mediaType string) bool {
	switch mediaType {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json":
		return true
	}
	return false
}

// sweep deletes the blobs not in live, with their stamps.
func (s *Store) sweep(ctx context.Context, live map[digest.Digest]bool, rep *PruneReport) error {
	entries, err := os.ReadDir(s.blobDir())
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if live[digest.NewDigestFromEncoded(digest.SHA256, e.Name())] {
			rep.Kept++
			rep.KeptBytes += info.Size()
			continue
		}
		if !rep.DryRun {
			p := filepath.Join(s.blobDir(), e.Name())
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("prune: %w", err)
			}
			os.Remove(filepath.Join(s.stampDir(), e.Name()))
		}
		rep.Removed++
		rep.Freed += info.Size()
	}
	return nil
}
