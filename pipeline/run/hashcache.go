package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// hashCache remembers the sha256 of the files that path fingerprints read,
// by file identity (device, inode, size, mtime), in the state folder (state.Dir.Hashes),
// so that a file is hashed once until it changes (git's index works alike).
// A file modified in the last racyWindow is hashed but not remembered: a
// second write in the same clock tick would keep its identity. The cache
// is best effort: a missing or unreadable one means files are hashed again.
type hashCache struct {
	path  string
	now   func() time.Time
	mu    sync.Mutex
	files map[string]state.FileHash // by absolute path
	dirty bool
	// fresh are the sums of files hashed in this build but too recently
	// modified to remember (known answers for them, not fingerprints).
	fresh map[string]state.FileHash
}

const racyWindow = 2 * time.Second

// loadHashCache reads the cache at path; any problem gives an empty one.
func loadHashCache(path string, now func() time.Time) *hashCache {
	return &hashCache{path: path, now: now, files: state.ReadHashes(path), fresh: map[string]state.FileHash{}}
}

// sum returns the hex sha256 of the regular file p, whose info is fi.
func (c *hashCache) sum(ctx context.Context, p string, fi fs.FileInfo) (string, error) {
	id, ok := identity(fi)
	c.mu.Lock()
	h, hit := c.files[p]
	c.mu.Unlock()
	if ok && hit && h.ID == id {
		return h.SHA256, nil
	}
	sum, err := hashFile(ctx, p)
	if err != nil {
		return "", err
	}
	if ok {
		c.mu.Lock()
		if c.now().Sub(fi.ModTime()) > racyWindow {
			c.files[p] = state.FileHash{ID: id, SHA256: sum}
			c.dirty = true
		} else {
			c.fresh[p] = state.FileHash{ID: id, SHA256: sum}
		}
		c.mu.Unlock()
	}
	return sum, nil
}

// known returns the digest of the file at p (absolute, as fingerprints
// walk it) when this build or the cache hashed it at the identity fi
// still has. A store takes it instead of hashing the file again; a file
// rewritten in the same clock tick keeps its identity, which the store's
// stamps, racy for such a file, catch on its next read.
func (c *hashCache) known(p string, fi fs.FileInfo) (digest.Digest, bool) {
	id, ok := identity(fi)
	if !ok {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[string]state.FileHash{c.files, c.fresh} {
		if h, hit := m[p]; hit && h.ID == id {
			return digest.NewDigestFromEncoded(digest.SHA256, h.SHA256), true
		}
	}
	return "", false
}

// uncached counts the regular files among entries whose sum is not
// remembered, and their bytes.
func (c *hashCache) uncached(entries []entry) (n int, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range entries {
		if !e.info.Mode().IsRegular() {
			continue
		}
		if id, ok := identity(e.info); !ok || c.files[e.path].ID != id {
			n++
			size += e.info.Size()
		}
	}
	return n, size
}

// sumAll returns the sum of every regular file among entries (index by
// index; "" for the others), hashing a few files at once.
func (c *hashCache) sumAll(ctx context.Context, entries []entry) ([]string, error) {
	sums := make([]string, len(entries))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(min(4, runtime.GOMAXPROCS(0)))
	for i, e := range entries {
		if !e.info.Mode().IsRegular() {
			continue
		}
		g.Go(func() error {
			sum, err := c.sum(ctx, e.path, e.info)
			sums[i] = sum
			return err
		})
	}
	return sums, g.Wait()
}

// save writes the cache when it changed.
func (c *hashCache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	if err := state.WriteHashes(c.path, c.files); err != nil {
		return err
	}
	c.dirty = false
	return nil
}

func identity(fi fs.FileInfo) (string, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%d %d %d %d", uint64(st.Dev), st.Ino, fi.Size(), fi.ModTime().UnixNano()), true
}

func hashFile(ctx context.Context, p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
	}
}
