package state

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
)

// Memo is a cache of small JSON answers keyed by strings (a plugin's
// description by its binary digest, a clean validation by its request). A
// memo that cannot be read or written is only slower, never wrong: Get
// reports a miss, Put's error may be ignored.
type Memo struct{ dir string }

// Memo returns the memo cache named name.
func (d Dir) Memo(name string) Memo { return Memo{dir: d.Cache(name)} }

func (m Memo) path(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(m.dir, hex.EncodeToString(h[:])+".json")
}

// Get decodes the answer stored under key into v; false when there is none
// or it does not decode.
func (m Memo) Get(key string, v any) bool {
	if m.dir == "" {
		return false
	}
	b, err := os.ReadFile(m.path(key))
	return err == nil && json.Unmarshal(b, v) == nil
}

// Put stores v under key atomically.
func (m Memo) Put(key string, v any) error {
	if m.dir == "" {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return WriteFile(m.path(key), b, 0o644)
}
