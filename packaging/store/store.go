// Package store is ckpt's local content store: an OCI image layout on disk
// (by default .ckpt/store) that oras and other OCI tools read with
// --oci-layout.
//
// Blobs are content-addressed under blobs/sha256 and written through
// Layout, the one OCI layout writer (bundle steps use it too): a blob is
// written to a temporary file in the layout's ingest folder, synced,
// verified against its digest, made read-only (0444) and renamed into
// place, so blobs/ never holds a partial blob and the same digest is never
// stored twice. Files of a step's output are moved (renamed) into blobs/
// rather than copied. Every read
// (Fetch) verifies the bytes against the digest. Materialize, which hands
// blobs to steps as hard links, hashes only the blobs whose file changed
// since the store wrote or last verified them: a verification stamp per
// blob (verified/sha256/<hex>) records the file's device, inode, size and
// mtime. Verify always hashes. A write of a blob that is present checks
// the existing one (by stamp, else by hashing it) and replaces it when it
// is corrupt; CheckArtifact tells a cache hit whose artifact cannot be
// read whole, and VerifyAll hashes the whole layout (ckpt store verify).
//
// A user's file is never moved, chmodded or hard-linked, nor copied when a step's
// output refers to it (an absolute symbolic link, packaging/tree
// Options.Refer): it is stored as a reflink where the file system has
// them, else as an external blob, blobs/sha256/<hex> a symbolic link to
// the file, stamped with the identity the file had when hashed. Reads
// check it as any blob (by stamp, else hashed); one whose file changed or
// is gone fails with ErrExternalChanged naming the file. Prune and repair
// remove only the link. The stamp's limit: a change that keeps the size
// and restores the mtime (touch -r) passes the stamp checks, and only a
// full hash (Fetch, Verify, VerifyAll) sees it.
//
// index.json is read, modified and rewritten atomically (internal/state's
// helper: temporary file, fsync, rename) under a file lock (index.lock), so several ckpt processes may write one store at
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
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"github.com/opencontainers/go-digest"
)

// Store is an OCI image layout on disk. It is safe for concurrent use by
// several goroutines and several processes.
type Store struct {
	root string
	lay  *Layout      // writes blobs and index.json
	hold *flock.Flock // shared lock of gc.lock while open; see Prune
}

// Open opens the OCI image layout at root, creating it when absent. The
// Store holds the layout (a shared file lock) until Close or the end of the
// process, so that Prune elsewhere waits; Open waits for a running Prune.
func Open(ctx context.Context, root string) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lay, err := CreateLayout(root)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", root, err)
	}
	s := &Store{root: root, lay: lay}
	lay.committed, lay.intact = s.stampInfo, s.intactBlob
	if err := os.MkdirAll(s.stampDir(), 0o755); err != nil {
		return nil, fmt.Errorf("store %s: %w", root, err)
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

func (s *Store) blobDir() string   { return s.lay.blobDir() }
func (s *Store) ingestDir() string { return s.lay.ingestDir() }
func (s *Store) indexPath() string { return s.lay.indexPath() }

// BlobPath returns the path of the blob with digest d (which may not exist).
func (s *Store) BlobPath(d digest.Digest) (string, error) { return s.lay.BlobPath(d) }
