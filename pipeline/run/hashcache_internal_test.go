package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func sumOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// The cache answers for a file whose identity is unchanged, across
// processes (save and load), and hashes a changed or recent file.
func TestHashCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "w.bin")
	old := time.Now().Add(-time.Hour)
	os.WriteFile(p, []byte("aaaa"), 0o644)
	os.Chtimes(p, old, old)
	cachePath := filepath.Join(dir, "state", "hashes.json")
	c := loadHashCache(cachePath, time.Now)
	stat := func() os.FileInfo {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	if got, err := c.sum(ctx, p, stat()); err != nil || got != sumOf("aaaa") {
		t.Fatalf("sum %s %v", got, err)
	}
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	// Same size, same mtime, same inode: the identity is unchanged, so the
	// remembered sum is returned without reading (this is what makes it a
	// cache; make and git's index are fooled alike).
	os.WriteFile(p, []byte("bbbb"), 0o644)
	os.Chtimes(p, old, old)
	c2 := loadHashCache(cachePath, time.Now)
	if got, _ := c2.sum(ctx, p, stat()); got != sumOf("aaaa") {
		t.Fatalf("a reloaded cache re-hashed an unchanged identity: %s", got)
	}
	// A new mtime changes the identity: hashed again.
	newer := old.Add(time.Minute)
	os.Chtimes(p, newer, newer)
	if got, _ := c2.sum(ctx, p, stat()); got != sumOf("bbbb") {
		t.Fatalf("a changed file was not hashed: %s", got)
	}
	// A file written just now is hashed but not remembered (racy).
	os.WriteFile(p, []byte("cccc"), 0o644)
	if got, _ := c2.sum(ctx, p, stat()); got != sumOf("cccc") {
		t.Fatal("recent file")
	}
	if _, ok := c2.files[p]; ok && c2.files[p].SHA256 == sumOf("cccc") {
		t.Fatal("a file modified within the racy window was remembered")
	}
	// A broken cache file is an empty cache.
	os.WriteFile(cachePath, []byte("{not json"), 0o644)
	if c3 := loadHashCache(cachePath, time.Now); len(c3.files) != 0 {
		t.Fatalf("broken cache read as %v", c3.files)
	}
}

// TestFingerprintSaysWhatItHashes: the first fingerprint of a folder
// reports its files as to hash; the second, with the same cache, none;
// the key is the same.
func TestFingerprintSaysWhatItHashes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, f := range []string{"a.bin", "sub/b.bin"} {
		p := filepath.Join(dir, "w", f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("12345"), 0o644)
		os.Chtimes(p, old, old)
	}
	c := loadHashCache(filepath.Join(dir, "hashes.json"), time.Now)
	var keys []string
	for i, want := range []int{2, 0} {
		n, size := 0, int64(0)
		h := sha256.New()
		err := fingerprint(ctx, h, filepath.Join(dir, "w"), c, func(_ string, files int, bytes int64) { n, size = files, bytes })
		if err != nil {
			t.Fatal(err)
		}
		if n != want || size != int64(5*want) {
			t.Errorf("fingerprint %d: told %d files, %d bytes; want %d, %d", i, n, size, want, 5*want)
		}
		keys = append(keys, hex.EncodeToString(h.Sum(nil)))
	}
	if keys[0] != keys[1] {
		t.Error("the cached fingerprint differs")
	}
}

// BenchmarkFingerprint fingerprints a 256 MiB folder (4 × 64 MiB): cold,
// every file hashed (compare with sha256sum in bench/store.sh); warm, the
// hash cache answers (an unchanged model on a rebuild).
func BenchmarkFingerprint(b *testing.B) {
	dir := b.TempDir()
	chunk := make([]byte, 64<<20)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	old := time.Now().Add(-time.Hour)
	for i := 0; i < 4; i++ {
		p := filepath.Join(dir, "w", "model-0000"+string(rune('0'+i))+".safetensors")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, chunk, 0o644)
		os.Chtimes(p, old, old)
	}
	ctx := context.Background()
	run := func(b *testing.B, c func() *hashCache) {
		b.SetBytes(4 << 26)
		for i := 0; i < b.N; i++ {
			if err := fingerprint(ctx, sha256.New(), filepath.Join(dir, "w"), c(), func(string, int, int64) {}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("cold", func(b *testing.B) {
		run(b, func() *hashCache { return loadHashCache(filepath.Join(dir, "none.json"), time.Now) })
	})
	warm := loadHashCache(filepath.Join(dir, "warm.json"), time.Now)
	b.Run("warm", func(b *testing.B) { run(b, func() *hashCache { return warm }) })
}
