package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// BinaryPrefix starts the file name of every external plugin binary.
const BinaryPrefix = "ckpt-plugin-"

// binary is a verified plugin executable and how to start it.
type binary struct {
	name   string
	path   string
	args   []string
	digest string // sha256:<hex>
	sum    []byte
}

// ProjectPluginDir is where ckpt init installs a project's plugins.
func ProjectPluginDir(dir string) string { return state.For(dir).Plugins() }

// UserPluginDir is the user's plugin folder: $XDG_DATA_HOME/ckpt/plugins or
// ~/.local/share/ckpt/plugins ("" when neither can be determined).
func UserPluginDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "ckpt", "plugins")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".local", "share", "ckpt", "plugins")
}

// pluginDirs lists the folders searched for plugin binaries, in order.
func pluginDirs(dir string) []string {
	ds := []string{ProjectPluginDir(dir)}
	if u := UserPluginDir(); u != "" {
		ds = append(ds, u)
	}
	return ds
}

// ValidName reports whether name can name a plugin: letters, digits, "_"
// and "-", starting with a letter or digit, and not "builtin". Anything else
// could escape the plugin folders or shadow the built-ins.
func ValidName(name string) bool {
	if name == "" || name == BuiltinName || len(name) > 64 {
		return false
	}
	for i, r := range name {
		alnum := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !alnum && (i == 0 || (r != '_' && r != '-')) {
			return false
		}
	}
	return true
}

// FindPlugin returns the path of ckpt-plugin-NAME in the project's plugin
// folder or else the user's, or an error naming both places.
func FindPlugin(dir, name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("invalid plugin name %q: use letters, digits, _ and -", name)
	}
	for _, d := range pluginDirs(dir) {
		p := filepath.Join(d, BinaryPrefix+name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("plugin %s: no %s%s in %s: %w", name, BinaryPrefix, name,
		strings.Join(pluginDirs(dir), " or "), fs.ErrNotExist)
}

// installed lists the plugin names with a binary in the plugin folders.
func installed(dir string) []string {
	seen := map[string]bool{}
	for _, d := range pluginDirs(dir) {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if n, ok := strings.CutPrefix(e.Name(), BinaryPrefix); ok && ValidName(n) && !e.IsDir() {
				seen[n] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FileDigest returns the sha256 of a file as "sha256:<hex>" and raw bytes.
func FileDigest(path string) (string, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("digest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", nil, fmt.Errorf("digest %s: %w", path, err)
	}
	sum := h.Sum(nil)
	return "sha256:" + hex.EncodeToString(sum), sum, nil
}

// binary locates and verifies plugin's executable. External binaries must
// match their lock entry; the check runs before every start.
func (h *Host) binary(name string) (binary, error) {
	if name == BuiltinName {
		return h.builtin()
	}
	entry, ok := h.lock.Get(name)
	if !ok {
		return binary{}, fmt.Errorf("plugin %s is not in %s; add it to required_plugins and run ckpt init", name, LockFile)
	}
	path, err := FindPlugin(h.opts.Dir, name)
	if err != nil {
		return binary{}, fmt.Errorf("%w (locked in %s; run ckpt init)", err, LockFile)
	}
	locked := entry.Digest()
	if locked == "" {
		return binary{}, fmt.Errorf("plugin %s: %s pins no binary for %s; run ckpt init (or ckpt init --platform %s where the plugin's registry has one)",
			name, LockFile, HostPlatform(), HostPlatform())
	}
	return verify(name, path, locked)
}

func (h *Host) builtin() (binary, error) {
	if h.opts.Self == "" {
		return binary{}, errors.New("plugin builtin: the ckpt executable is unknown (host.Options.Self)")
	}
	// The running ckpt binary does not change during a build: hash it once.
	h.selfOnce.Do(func() { h.self.digest, h.self.sum, h.selfErr = FileDigest(h.opts.Self) })
	if h.selfErr != nil {
		return binary{}, fmt.Errorf("plugin builtin: %w", h.selfErr)
	}
	return binary{name: BuiltinName, path: h.opts.Self, args: []string{ServeCommand}, digest: h.self.digest, sum: h.self.sum}, nil
}

// verify hashes path and compares it with the locked digest.
func verify(name, path, locked string) (binary, error) {
	d, sum, err := FileDigest(path)
	if err != nil {
		return binary{}, fmt.Errorf("plugin %s: %w", name, err)
	}
	if d != locked {
		return binary{}, &DigestError{Plugin: name, Path: path, Platform: HostPlatform(), Got: d, Locked: locked}
	}
	return binary{name: name, path: path, digest: d, sum: sum}, nil
}
