// Package store is ckpt's local content store: an OCI image layout on disk
// (by default .ckpt/store) that oras and other OCI tools read with
// --oci-layout.
//
// Blobs are content-addressed under blobs/sha256. A blob is written to a
// temporary file in the layout's ingest folder, synced, verified against its
// digest, made read-only (0444) and renamed into place, so blobs/ never holds
// a partial blob and the same digest is never stored twice. Files of a step's
// output are moved (renamed) into blobs/ rather than copied. Every read
// (Fetch) verifies the bytes against the digest. Materialize, which hands
// blobs to steps as hard links, hashes only the blobs whose file changed
// since the store wrote or last verified them: a verification stamp per
// blob (verified/sha256/<hex>) records the file's device, inode, size and
// mtime. Verify always hashes.
//
// index.json is read, modified and rewritten (temporary file, rename) under a
// file lock (index.lock), so several ckpt processes may write one store at
// once. A running Prune holds the layout alone (gc.lock); every open Store
// holds it shared. Names in the index are OCI tags (annotation
// org.opencontainers.image.ref.name). ckpt uses two families:
//
//	cache-<hex>          the artifact of the step whose cache key is sha256:<hex>
//	step-<id>.KIND.NAME  project <id>'s artifact of that step in its last
//	                     successful build (state.Dir.StepTag)
//
// Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Store is an OCI image layout on disk. It is safe for concurrent use by
// several goroutines and several processes.
type Store struct {
	root string
	hold *flock.Flock // shared lock of gc.lock while open; see Prune
}

// Open opens the OCI image layout at root, creating it when absent. The
// Store holds the layout (a shared file lock) until Close or the end of the
// process, so that Prune elsewhere waits; Open waits for a running Prune.
func Open(ctx context.Context, root string) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Store{root: root}
	for _, d := range []string{s.blobDir(), s.ingestDir(), s.stampDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("store %s: %w", root, err)
		}
	}
	if err := s.ensureLayoutFile(); err != nil {
		return nil, err
	}
	s.removeStaleIngest()
	if err := s.ensureIndex(ctx); err != nil {
		return nil, err
	}
	s.hold = flock.New(s.holdPath())
	if ok, err := s.hold.TryRLockContext(ctx, 20*time.Millisecond); !ok {
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("store %s: wait for prune: %w", root, err)
	}
	return s, nil
}

// StaleIngest is the age after which Open removes a temporary file left in
// the ingest folder by a writer that was killed.
const StaleIngest = 24 * time.Hour

// removeStaleIngest removes leftovers of killed writers. A live writer's
// file is younger: writes touch it at least once per 1 MiB.
func (s *Store) removeStaleIngest() {
	entries, _ := os.ReadDir(s.ingestDir())
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > StaleIngest {
			os.Remove(filepath.Join(s.ingestDir(), e.Name()))
		}
	}
}

// Root returns the folder of the layout.
func (s *Store) Root() string { return s.root }

func (s *Store) blobDir() string   { return filepath.Join(s.root, "blobs", "sha256") }
func (s *Store) ingestDir() string { return filepath.Join(s.root, "ingest") }
func (s *Store) indexPath() string { return filepath.Join(s.root, ocispec.ImageIndexFile) }

// BlobPath returns the path of the blob with digest d (which may not exist).
func (s *Store) BlobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("digest %q: %w", d, err)
	}
	if d.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("digest %s: unsupported algorithm", d)
	}
	return filepath.Join(s.blobDir(), d.Encoded()), nil
}

func (s *Store) ensureLayoutFile() error {
	p := filepath.Join(s.root, ocispec.ImageLayoutFile)
	b, err := os.ReadFile(p)
	if err == nil {
		var l ocispec.ImageLayout
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if l.Version != ocispec.ImageLayoutVersion {
			return fmt.Errorf("%s: unsupported layout version %q", p, l.Version)
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", p, err)
	}
	b, _ = json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	return s.writeAtomic(p, b)
}

// writeAtomic writes b to path through a synced temporary file and a rename.
func (s *Store) writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(s.ingestDir(), "meta-*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
