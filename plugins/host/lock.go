package host

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// LockFile is the name of the lock file in a project folder.
const LockFile = ".ckpt.lock.hcl"

const lockHeader = "# This file is maintained automatically by \"ckpt init\".\n# Commit it: every run refuses a plugin binary whose sha256 differs.\n\n"

// HostPlatform is this process's platform, "OS/ARCH" as Go names them.
func HostPlatform() string { return runtime.GOOS + "/" + runtime.GOARCH }

// LockedPlugin pins one external plugin: its binary's sha256 on each
// platform the team uses and, for a registry source, the manifest digest
// the binaries came from.
type LockedPlugin struct {
	Name    string
	Source  string
	Version string
	// Manifest is the "sha256:<hex>" digest of the plugin's OCI manifest
	// (registry sources only): init refuses a tag that moved.
	Manifest string
	// Hashes maps a platform "OS/ARCH" to the binary's "sha256:<hex>".
	Hashes map[string]string
}

// Hash is the pinned digest ("sha256:<hex>") of the binary for platform,
// or "" when the entry has none.
func (p LockedPlugin) Hash(platform string) string { return p.Hashes[platform] }

// Digest is the pinned digest of the binary for HostPlatform.
func (p LockedPlugin) Digest() string { return p.Hash(HostPlatform()) }

// Lock is the content of .ckpt.lock.hcl.
type Lock struct {
	Plugins []LockedPlugin
}

// lockFile is the HCL shape of the lock file. "sha256" is the format
// before per-platform hashes: it is read as the hash for HostPlatform.
type lockFile struct {
	Plugins []struct {
		Name     string            `hcl:"name,label"`
		Source   string            `hcl:"source,optional"`
		Version  string            `hcl:"version,optional"`
		Manifest string            `hcl:"manifest,optional"`
		SHA256   string            `hcl:"sha256,optional"`
		Hashes   map[string]string `hcl:"hashes,optional"`
	} `hcl:"plugin,block"`
}

// isHexSHA256 reports whether s is 64 lowercase hex digits.
func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// normDigest returns "sha256:<hex>" for "<hex>" or "sha256:<hex>", or "".
func normDigest(s string) string {
	h := strings.TrimPrefix(s, "sha256:")
	if !isHexSHA256(h) {
		return ""
	}
	return "sha256:" + h
}

// validPlatform reports whether p looks like "os/arch".
func validPlatform(p string) bool {
	os, arch, ok := strings.Cut(p, "/")
	return ok && os != "" && arch != "" && ValidName(os) && ValidName(arch)
}

// ReadLock reads a lock file; a missing file is an empty lock.
func ReadLock(path string) (*Lock, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lock file: %w", err)
	}
	return ParseLock(b, path)
}

// ParseLock decodes the lock file content src (named filename in errors).
func ParseLock(src []byte, filename string) (*Lock, error) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("lock file: %w", diags)
	}
	var raw lockFile
	if diags := gohcl.DecodeBody(f.Body, nil, &raw); diags.HasErrors() {
		return nil, fmt.Errorf("lock file: %w", diags)
	}
	l := &Lock{}
	for _, r := range raw.Plugins {
		if !ValidName(r.Name) {
			return nil, fmt.Errorf("lock file %s: invalid plugin name %q", filename, r.Name)
		}
		if _, ok := l.Get(r.Name); ok {
			return nil, fmt.Errorf("lock file %s: plugin %q is locked twice", filename, r.Name)
		}
		p, err := parseEntry(r.Name, r.Source, r.Version, r.Manifest, r.SHA256, r.Hashes)
		if err != nil {
			return nil, fmt.Errorf("lock file %s: plugin %q: %w", filename, r.Name, err)
		}
		l.Plugins = append(l.Plugins, p)
	}
	return l, nil
}

func parseEntry(name, source, version, manifest, legacy string, hashes map[string]string) (LockedPlugin, error) {
	p := LockedPlugin{Name: name, Source: source, Version: version, Hashes: map[string]string{}}
	if manifest != "" {
		if p.Manifest = normDigest(manifest); p.Manifest == "" {
			return p, fmt.Errorf("manifest %q is not sha256:<64 lowercase hex digits>", manifest)
		}
	}
	if legacy != "" {
		if hashes != nil {
			return p, errors.New("has both sha256 and hashes; keep hashes")
		}
		hashes = map[string]string{HostPlatform(): legacy}
	}
	if len(hashes) == 0 {
		return p, errors.New(`no hashes = { "OS/ARCH" = "sha256:..." } (or sha256)`)
	}
	for plat, h := range hashes {
		if !validPlatform(plat) {
			return p, fmt.Errorf("platform %q is not OS/ARCH", plat)
		}
		if p.Hashes[plat] = normDigest(h); p.Hashes[plat] == "" {
			return p, fmt.Errorf("sha256 %q of %s is not 64 lowercase hex digits", h, plat)
		}
	}
	return p, nil
}

// Get returns the entry of plugin name.
func (l *Lock) Get(name string) (LockedPlugin, bool) {
	for _, p := range l.Plugins {
		if p.Name == name {
			return p, true
		}
	}
	return LockedPlugin{}, false
}

// Set adds or replaces the entry of p.Name.
func (l *Lock) Set(p LockedPlugin) {
	p.Hashes = maps.Clone(p.Hashes)
	for plat, h := range p.Hashes {
		if n := normDigest(h); n != "" {
			p.Hashes[plat] = n
		}
	}
	for i := range l.Plugins {
		if l.Plugins[i].Name == p.Name {
			l.Plugins[i] = p
			return
		}
	}
	l.Plugins = append(l.Plugins, p)
}

// Bytes renders the lock file, entries sorted by name, hashes by platform.
func (l *Lock) Bytes() []byte {
	ps := append([]LockedPlugin(nil), l.Plugins...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	for i, p := range ps {
		if i > 0 {
			body.AppendNewline()
		}
		b := body.AppendNewBlock("plugin", []string{p.Name}).Body()
		b.SetAttributeValue("source", cty.StringVal(p.Source))
		b.SetAttributeValue("version", cty.StringVal(p.Version))
		if p.Manifest != "" {
			b.SetAttributeValue("manifest", cty.StringVal(p.Manifest))
		}
		hs := map[string]cty.Value{}
		for _, plat := range slices.Sorted(maps.Keys(p.Hashes)) {
			hs[plat] = cty.StringVal(p.Hashes[plat])
		}
		if len(hs) == 0 {
			b.SetAttributeValue("hashes", cty.MapValEmpty(cty.String))
		} else {
			b.SetAttributeValue("hashes", cty.MapVal(hs))
		}
	}
	return append([]byte(lockHeader), hclwrite.Format(f.Bytes())...)
}

// WriteFile writes the lock file atomically (state.WriteFile).
func (l *Lock) WriteFile(path string) error {
	return state.WriteFile(path, l.Bytes(), 0o644)
}
