package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ckpt-dev/ckpt/internal/state"
)

// Requirement is one entry of a spec's required_plugins block.
type Requirement struct {
	Name string
	// Source is a local path ("./bin/x", "/abs", "file://..."), an OCI
	// reference ("host/repo/name", tagged with Version unless it has a tag
	// or digest), or empty for a binary already in a plugin folder.
	Source  string
	Version string
}

// InitOptions configures Init; the zero value installs over HTTPS and
// refuses a binary whose digest differs from an existing lock entry.
type InitOptions struct {
	// PlainHTTP talks to registries over plain HTTP.
	PlainHTTP bool
	// Upgrade accepts new digests for already locked plugins.
	Upgrade bool
	// Log receives one line per installed plugin (nil: discarded).
	Log io.Writer
}

// Init installs every required plugin into dir's .ckpt/plugins, checks that
// each describes itself with the required name and version, and writes
// dir's .ckpt.lock.hcl with one entry per requirement.
func Init(ctx context.Context, dir string, reqs []Requirement, o InitOptions) (*Lock, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	old, err := ReadLock(filepath.Join(dir, LockFile))
	if err != nil {
		return nil, err
	}
	lock := &Lock{}
	for _, r := range reqs {
		if !ValidName(r.Name) {
			return nil, fmt.Errorf("required plugin %q: a plugin name has letters, digits, _ and - and is not %q", r.Name, BuiltinName)
		}
		p, err := install(ctx, dir, r, o)
		if err != nil {
			return nil, err
		}
		if prev, ok := old.Get(r.Name); ok && !o.Upgrade && prev.Source == p.Source && prev.Version == p.Version && prev.SHA256 != p.SHA256 {
			return nil, fmt.Errorf("plugin %s %s from %s now has digest %s but %s pins %s; run ckpt init --upgrade if the change is intended",
				r.Name, p.Version, p.Source, p.Digest(), LockFile, prev.Digest())
		}
		lock.Set(p)
		fmt.Fprintf(o.Log, "Installed plugin %s %s (%s) from %s\n", p.Name, p.Version, p.Digest(), sourceLabel(p.Source))
	}
	if err := lock.WriteFile(filepath.Join(dir, LockFile)); err != nil {
		return nil, err
	}
	return lock, nil
}

func sourceLabel(s string) string {
	if s == "" {
		return "the plugin folders"
	}
	return s
}

// isLocal reports whether a source names a file rather than a registry.
func isLocal(source string) bool {
	return strings.HasPrefix(source, "./") || strings.HasPrefix(source, "../") ||
		strings.HasPrefix(source, "/") || strings.HasPrefix(source, "file://")
}

// install fetches one plugin into a staging folder, describes it, and
// moves it into place.
func install(ctx context.Context, dir string, r Requirement, o InitOptions) (LockedPlugin, error) {
	if r.Source == "" {
		path, err := FindPlugin(dir, r.Name)
		if err != nil {
			return LockedPlugin{}, fmt.Errorf("%w; give it a source in required_plugins", err)
		}
		return lockInPlace(ctx, path, r)
	}
	pdir := ProjectPluginDir(dir)
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %w", r.Name, err)
	}
	stage, err := os.MkdirTemp(pdir, ".staging-")
	if err != nil {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %w", r.Name, err)
	}
	defer os.RemoveAll(stage)
	staged := filepath.Join(stage, BinaryPrefix+r.Name)
	if isLocal(r.Source) {
		err = copyLocal(dir, r.Source, staged)
	} else {
		err = pull(ctx, r.Source, r.Version, staged, o.PlainHTTP)
	}
	if err != nil {
		return LockedPlugin{}, fmt.Errorf("plugin %s from %s: %w", r.Name, r.Source, err)
	}
	p, err := lockInPlace(ctx, staged, r)
	if err != nil {
		return LockedPlugin{}, err
	}
	if err := state.Rename(staged, filepath.Join(pdir, BinaryPrefix+r.Name)); err != nil {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %w", r.Name, err)
	}
	return p, nil
}

// lockInPlace describes the binary at path and returns its lock entry.
func lockInPlace(ctx context.Context, path string, r Requirement) (LockedPlugin, error) {
	d, sum, err := FileDigest(path)
	if err != nil {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %w", r.Name, err)
	}
	bin := binary{name: r.Name, path: path, digest: d, sum: sum}
	p, err := start(ctx, context.Background(), bin, io.Discard)
	if err != nil {
		return LockedPlugin{}, err
	}
	defer p.kill()
	desc, err := p.remote.Describe(ctx)
	if err != nil {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %w", r.Name, err)
	}
	if err := checkDescription(bin, desc); err != nil {
		return LockedPlugin{}, err
	}
	if r.Version != "" && desc.Version != r.Version {
		return LockedPlugin{}, fmt.Errorf("plugin %s from %s is version %s, required_plugins asks for %s",
			r.Name, sourceLabel(r.Source), desc.Version, r.Version)
	}
	return LockedPlugin{Name: r.Name, Source: r.Source, Version: desc.Version, SHA256: strings.TrimPrefix(d, "sha256:")}, nil
}

// copyLocal copies a local plugin binary (relative to dir) to dst, 0755.
func copyLocal(dir, source, dst string) error {
	src := strings.TrimPrefix(source, "file://")
	if !filepath.IsAbs(src) {
		src = filepath.Join(dir, src)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil || !st.Mode().IsRegular() {
		return errors.Join(fmt.Errorf("%s is not a regular file", src), err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
