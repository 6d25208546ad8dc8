package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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

// LockedPlugin pins one external plugin binary.
type LockedPlugin struct {
	Name    string `hcl:"name,label"`
	Source  string `hcl:"source,optional"`
	Version string `hcl:"version,optional"`
	// SHA256 is the hex sha256 of the binary.
	SHA256 string `hcl:"sha256"`
}

// Digest is the pinned digest as "sha256:<hex>".
func (p LockedPlugin) Digest() string { return "sha256:" + p.SHA256 }

// Lock is the content of .ckpt.lock.hcl.
type Lock struct {
	Plugins []LockedPlugin `hcl:"plugin,block"`
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
	var l Lock
	if diags := gohcl.DecodeBody(f.Body, nil, &l); diags.HasErrors() {
		return nil, fmt.Errorf("lock file: %w", diags)
	}
	seen := map[string]bool{}
	for i, p := range l.Plugins {
		if !ValidName(p.Name) {
			return nil, fmt.Errorf("lock file %s: invalid plugin name %q", filename, p.Name)
		}
		p.SHA256 = strings.TrimPrefix(p.SHA256, "sha256:")
		if !isHexSHA256(p.SHA256) {
			return nil, fmt.Errorf("lock file %s: plugin %q: sha256 %q is not 64 lowercase hex digits", filename, p.Name, p.SHA256)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("lock file %s: plugin %q is locked twice", filename, p.Name)
		}
		seen[p.Name] = true
		l.Plugins[i] = p
	}
	return &l, nil
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
	p.SHA256 = strings.TrimPrefix(p.SHA256, "sha256:")
	for i := range l.Plugins {
		if l.Plugins[i].Name == p.Name {
			l.Plugins[i] = p
			return
		}
	}
	l.Plugins = append(l.Plugins, p)
}

// Bytes renders the lock file, entries sorted by name.
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
		b.SetAttributeValue("sha256", cty.StringVal(p.SHA256))
	}
	return append([]byte(lockHeader), hclwrite.Format(f.Bytes())...)
}

// WriteFile writes the lock file atomically (state.WriteFile).
func (l *Lock) WriteFile(path string) error {
	return state.WriteFile(path, l.Bytes(), 0o644)
}
