package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// hashCache remembers the sha256 of the files that path fingerprints read,
// by file identity (device, inode, size, mtime), in StateDir/hashes.json,
// so that a file is hashed once until it changes (git's index works alike).
// A file modified in the last racyWindow is hashed but not remembered: a
// second write in the same clock tick would keep its identity. The cache
// is best effort: a missing or unreadable one means files are hashed again.
type hashCache struct {
	path  string
	now   func() time.Time
	mu    sync.Mutex
	files map[string]fileHash // by absolute path
	dirty bool
}

type fileHash struct {
	ID     string `json:"id"` // "device inode size mtime-ns"
	SHA256 string `json:"sha256"`
}

const racyWindow = 2 * time.Second

// loadHashCache reads the cache at path; any problem gives an empty one.
func loadHashCache(path string, now func() time.Time) *hashCache {
	c := &hashCache{path: path, now: now, files: map[string]fileHash{}}
	if b, err := os.ReadFile(path); err == nil {
		if json.Unmarshal(b, &c.files) != nil || c.files == nil {
			c.files = map[string]fileHash{}
		}
	}
	return c
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
	if ok && c.now().Sub(fi.ModTime()) > racyWindow {
		c.mu.Lock()
		c.files[p] = fileHash{ID: id, SHA256: sum}
		c.dirty = true
		c.mu.Unlock()
	}
	return sum, nil
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

// save writes the cache when it changed (temporary file and rename).
func (c *hashCache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	b, err := json.Marshal(c.files)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".hashes-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hash cache %s: %w", c.path, err)
	}
	c.dirty = false
	return os.Rename(tmp.Name(), c.path)
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
