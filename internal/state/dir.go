package state

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
)

// Name is the state folder's name beside a spec.
const Name = ".ckpt"

// Dir is a project's state folder. Its zero value is not usable; make one
// with For or Open.
type Dir struct{ root string }

// For is the state folder of the spec folder specDir (specDir/.ckpt).
func For(specDir string) Dir { return Dir{root: filepath.Join(specDir, Name)} }

// Open is the state folder at root itself (e.g. a --state flag).
func Open(root string) Dir { return Dir{root: root} }

// Root is the state folder's path.
func (d Dir) Root() string { return d.root }

// abs is the state folder's absolute path (Root when it cannot be made
// absolute).
func (d Dir) abs() string {
	if p, err := filepath.Abs(d.root); err == nil {
		return p
	}
	return d.root
}

// ID names the project in a store that several projects share: the first
// 12 hex digits of the sha256 of the state folder's absolute path. It names
// the project's step tags and its record among the store's users.
func (d Dir) ID() string {
	h := sha256.Sum256([]byte(d.abs()))
	return hex.EncodeToString(h[:6])
}

// Store is the default local OCI store.
func (d Dir) Store() string { return filepath.Join(d.root, "store") }

// Plugins holds installed plugin binaries (ckpt-plugin-NAME).
func (d Dir) Plugins() string { return filepath.Join(d.root, "plugins") }

// Ledger is the build ledger, one JSON object per line.
func (d Dir) Ledger() string { return filepath.Join(d.root, "ledger.jsonl") }

// Hashes remembers file sha256s by file identity.
func (d Dir) Hashes() string { return filepath.Join(d.root, "hashes.json") }

// Out holds each step's files from the last build (out/KIND.NAME).
func (d Dir) Out() string { return filepath.Join(d.root, "out") }

// Tmp holds scratch folders of running steps.
func (d Dir) Tmp() string { return filepath.Join(d.root, "tmp") }

// Cache is the folder of the memo cache named name (e.g. "describe").
func (d Dir) Cache(name string) string { return filepath.Join(d.root, "cache", name) }
