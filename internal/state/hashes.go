package state

import (
	"encoding/json"
	"fmt"
	"os"
)

// FileHash is a file's sha256 (hex) remembered under the file's identity,
// "device inode size mtime-ns": while the identity holds, so does the sum.
type FileHash struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
}

// ReadHashes reads the hash cache at path (Dir.Hashes), by absolute file
// path. The cache is best effort: a missing or unreadable one is empty.
func ReadHashes(path string) map[string]FileHash {
	files := map[string]FileHash{}
	if b, err := os.ReadFile(path); err == nil {
		if json.Unmarshal(b, &files) != nil || files == nil {
			files = map[string]FileHash{}
		}
	}
	return files
}

// WriteHashes replaces the hash cache at path atomically.
func WriteHashes(path string, files map[string]FileHash) error {
	b, err := json.Marshal(files)
	if err == nil {
		err = WriteFile(path, b, 0o644)
	}
	if err != nil {
		return fmt.Errorf("hash cache %s: %w", path, err)
	}
	return nil
}
