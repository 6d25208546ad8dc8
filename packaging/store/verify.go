package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
)

// CheckArtifact checks that the artifact desc can be read whole: its
// manifest and config hash to their digests and every layer is present
// and intact (by its verification stamp when its file is unchanged, else
// hashed, as Materialize does). A missing blob gives an error wrapping
// errdef.ErrNotFound, a corrupt one ErrCorrupt. The build calls it on a
// cache hit: an artifact that fails is rebuilt, and the rebuild's writes
// replace the corrupt blobs.
func (s *Store) CheckArtifact(ctx context.Context, desc ocispec.Descriptor) error {
	m, err := s.Manifest(ctx, desc)
	if err != nil {
		return err
	}
	if err := s.verifyStamped(ctx, m.Config); err != nil {
		return fmt.Errorf("artifact %s: config: %w", desc.Digest, err)
	}
	for _, l := range m.Layers {
		if err := s.verifyStamped(ctx, l); err != nil {
			return fmt.Errorf("artifact %s: layer %s: %w", desc.Digest, l.Annotations[ocispec.AnnotationTitle], err)
		}
	}
	return nil
}

// VerifyOptions configure VerifyAll. The zero value checks and changes
// nothing.
type VerifyOptions struct {
	// Repair deletes every corrupt blob (and its stamp); it needs the
	// layout alone, as Prune (ErrInUse while a build runs).
	Repair bool
}

// VerifyReport tells what VerifyAll found.
type VerifyReport struct {
	// Blobs and Bytes count the blobs hashed.
	Blobs int   `json:"blobs"`
	Bytes int64 `json:"bytes"`
	// Problems are the corrupt and the missing blobs, sorted by digest.
	Problems []BlobProblem `json:"problems"`
	// Repaired is set when the corrupt blobs were deleted.
	Repaired bool `json:"repaired"`
}

// BlobProblem is one blob that is corrupt or missing.
type BlobProblem struct {
	Digest digest.Digest `json:"digest"`
	// Problem is "corrupt" (its bytes do not hash to its name) or
	// "missing" (a manifest refers to it, blobs/ does not hold it).
	Problem string `json:"problem"`
	// Names are the index names whose artifact reaches the blob, sorted.
	Names []string `json:"names"`
	// Path is the user's file an external blob refers to (its problem is
	// "corrupt" when the file changed or is gone); repair removes only
	// the store's link to it.
	Path string `json:"path,omitempty"`
}

// VerifyAll hashes every blob of the layout, whatever its stamp, and
// reports those whose bytes do not match their name and those that a
// manifest of a name refers to but are missing, with the names that reach
// them. With opts.Repair, corrupt blobs are deleted: the next build
// rebuilds the steps whose cache entries reached them.
func (s *Store) VerifyAll(ctx context.Context, opts VerifyOptions) (VerifyReport, error) {
	var rep VerifyReport
	if opts.Repair {
		release, err := s.exclusive()
		if err != nil {
			return rep, err
		}
		defer release()
	}
	bad, err := s.hashAll(ctx, &rep)
	if err != nil {
		return rep, err
	}
	reach, err := s.reachers(ctx)
	if err != nil {
		return rep, err
	}
	for d := range reach {
		if ok, err := s.lay.Exists(d); err == nil && !ok && bad[d] == "" {
			bad[d] = "missing"
		}
	}
	for d, problem := range bad {
		path, _ := s.lay.externalTarget(d)
		rep.Problems = append(rep.Problems, BlobProblem{Digest: d, Problem: problem, Names: reach[d], Path: path})
	}
	sort.Slice(rep.Problems, func(i, j int) bool { return rep.Problems[i].Digest < rep.Problems[j].Digest })
	if opts.Repair {
		for _, p := range rep.Problems {
			if p.Problem == "corrupt" {
				if err := s.dropBlob(p.Digest); err != nil {
					return rep, err
				}
			}
		}
		rep.Repaired = true
	}
	return rep, nil
}

// hashAll verifies every file in blobs/sha256 and returns the corrupt ones.
func (s *Store) hashAll(ctx context.Context, rep *VerifyReport) (map[digest.Digest]string, error) {
	entries, err := os.ReadDir(s.blobDir())
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	bad := map[digest.Digest]string{}
	for _, e := range entries {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		info, err := e.Info()
		if err != nil || d.Validate() != nil {
			continue // removed meanwhile, or not a blob
		}
		if _, ok := s.lay.externalTarget(d); ok {
			if info, err = os.Stat(filepath.Join(s.blobDir(), e.Name())); err != nil {
				bad[d] = "corrupt" // the user's file is gone
				continue
			}
		}
		if !info.Mode().IsRegular() {
			continue
		}
		err = s.Verify(ctx, ocispec.Descriptor{Digest: d, Size: info.Size()})
		switch {
		case errors.Is(err, ErrCorrupt):
			bad[d] = "corrupt"
		case errors.Is(err, errdef.ErrNotFound):
			continue
		case err != nil:
			return nil, fmt.Errorf("verify: %w", err)
		}
		rep.Blobs++
		rep.Bytes += info.Size()
	}
	return bad, nil
}

// reachers maps every blob that an index name reaches to those names.
func (s *Store) reachers(ctx context.Context) (map[digest.Digest][]string, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	out := map[digest.Digest][]string{}
	for _, m := range idx.Manifests {
		name := m.Annotations[ocispec.AnnotationRefName]
		if name == "" {
			name = m.Digest.String()
		}
		live := map[digest.Digest]bool{}
		if err := s.mark(ctx, m, live); err != nil {
			return nil, err
		}
		for d := range live {
			out[d] = append(out[d], name)
		}
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out, nil
}

// dropBlob deletes blob d and its stamp.
func (s *Store) dropBlob(d digest.Digest) error {
	p, err := s.BlobPath(d)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("repair: blob %s: %w", d, err)
	}
	os.Remove(filepath.Join(s.stampDir(), d.Encoded()))
	return nil
}
