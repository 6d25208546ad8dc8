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
	"github.com/ckpt-dev/ckpt/plugins/sdk"
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
	// Platforms ("OS/ARCH") also get a hash in the lock, read from a
	// registry plugin's pinned manifest; their binaries are not downloaded
	// and never run.
	Platforms []string
	// Log receives one line per installed plugin (nil: discarded).
	Log io.Writer
}

// Init installs every required plugin into dir's .ckpt/plugins, checks that
// each describes itself with the required name and version, and writes
// dir's .ckpt.lock.hcl with one entry per requirement. A binary whose
// digest (or, from a registry, whose manifest) differs from its lock entry
// is refused before it runs, and the installed binary is left in place.
func Init(ctx context.Context, dir string, reqs []Requirement, o InitOptions) (*Lock, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	for _, p := range o.Platforms {
		if !validPlatform(p) {
			return nil, fmt.Errorf("platform %q: want OS/ARCH, e.g. darwin/arm64", p)
		}
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
		var pin *LockedPlugin
		if prev, ok := old.Get(r.Name); ok && !o.Upgrade && prev.Source == r.Source && (r.Version == "" || r.Version == prev.Version) {
			pin = &prev
		}
		p, err := install(ctx, dir, r, pin, o)
		if err != nil {
			return nil, err
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

// install fetches one plugin into a staging folder, checks it against pin
// (nil: nothing pinned) before anything runs it, describes it, and only
// then moves it into place.
func install(ctx context.Context, dir string, r Requirement, pin *LockedPlugin, o InitOptions) (LockedPlugin, error) {
	if r.Source == "" {
		path, err := FindPlugin(dir, r.Name)
		if err != nil {
			return LockedPlugin{}, fmt.Errorf("%w; give it a source in required_plugins", err)
		}
		return lockInPlace(ctx, path, r, pin, o.Platforms)
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
	var p LockedPlugin
	if isLocal(r.Source) {
		if err = copyLocal(dir, r.Source, staged); err == nil {
			p, err = lockInPlace(ctx, staged, r, pin, o.Platforms)
		}
	} else {
		p, err = installRemote(ctx, staged, r, pin, o)
	}
	if err != nil {
		return LockedPlugin{}, wrapSource(r, err)
	}
	if err := state.Rename(staged, filepath.Join(pdir, BinaryPrefix+r.Name)); err != nil {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %w", r.Name, err)
	}
	return p, nil
}

// wrapSource names the plugin and its source in err, once.
func wrapSource(r Requirement, err error) error {
	if strings.HasPrefix(err.Error(), "plugin "+r.Name+" ") || strings.HasPrefix(err.Error(), "plugin "+r.Name+":") {
		return err
	}
	return fmt.Errorf("plugin %s from %s: %w", r.Name, r.Source, err)
}

// installRemote resolves a registry plugin, refuses a manifest or binary
// digest that differs from pin before downloading or running anything,
// and fetches, checks and describes this platform's binary at staged.
func installRemote(ctx context.Context, staged string, r Requirement, pin *LockedPlugin, o InitOptions) (LockedPlugin, error) {
	rp, err := resolve(ctx, r.Source, r.Version, o.PlainHTTP)
	if err != nil {
		return LockedPlugin{}, err
	}
	if pin != nil && pin.Manifest != "" && pin.Manifest != rp.manifest {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %s now names manifest %s but %s pins %s; refusing it (run ckpt init --upgrade if the change is intended)",
			r.Name, rp.ref, rp.manifest, LockFile, pin.Manifest)
	}
	layer, err := rp.layer(HostPlatform())
	if err != nil {
		return LockedPlugin{}, err
	}
	if err := checkPin(r, pin, HostPlatform(), layer.Digest.String()); err != nil {
		return LockedPlugin{}, err
	}
	if err := rp.fetch(ctx, layer, staged); err != nil {
		return LockedPlugin{}, err
	}
	p, err := lockInPlace(ctx, staged, r, pin, nil)
	if err != nil {
		return LockedPlugin{}, err
	}
	p.Manifest = rp.manifest
	for _, plat := range o.Platforms {
		if plat == HostPlatform() {
			continue
		}
		l, err := rp.layer(plat)
		if err != nil {
			return LockedPlugin{}, err
		}
		if err := checkPin(r, pin, plat, l.Digest.String()); err != nil {
			return LockedPlugin{}, err
		}
		p.Hashes[plat] = l.Digest.String()
	}
	return p, nil
}

// checkPin refuses digest d for platform when pin holds another one.
func checkPin(r Requirement, pin *LockedPlugin, platform, d string) error {
	if pin == nil {
		return nil
	}
	if locked := pin.Hash(platform); locked != "" && locked != d {
		return &DigestError{Plugin: r.Name, Path: sourceLabel(r.Source), Platform: platform, Got: d, Locked: locked}
	}
	return nil
}

// lockInPlace checks the binary at path against pin, then describes it and
// returns its lock entry, which keeps pin's hashes of other platforms.
func lockInPlace(ctx context.Context, path string, r Requirement, pin *LockedPlugin, platforms []string) (LockedPlugin, error) {
	for _, p := range platforms {
		if p != HostPlatform() {
			return LockedPlugin{}, fmt.Errorf("plugin %s: --platform %s needs a registry source; %s is one binary for one platform", r.Name, p, sourceLabel(r.Source))
		}
	}
	d, sum, err := FileDigest(path)
	if err != nil {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %w", r.Name, err)
	}
	if err := checkPin(r, pin, HostPlatform(), d); err != nil {
		return LockedPlugin{}, err
	}
	if plat, err := BinaryPlatform(path); err != nil {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %w", r.Name, err)
	} else if plat != HostPlatform() {
		return LockedPlugin{}, fmt.Errorf("plugin %s: %s is built for %s, this is %s", r.Name, sourceLabel(r.Source), plat, HostPlatform())
	}
	desc, err := describe(ctx, binary{name: r.Name, path: path, digest: d, sum: sum})
	if err != nil {
		return LockedPlugin{}, err
	}
	if r.Version != "" && desc.Version != r.Version {
		return LockedPlugin{}, fmt.Errorf("plugin %s from %s is version %s, required_plugins asks for %s",
			r.Name, sourceLabel(r.Source), desc.Version, r.Version)
	}
	p := LockedPlugin{Name: r.Name, Source: r.Source, Version: desc.Version, Hashes: map[string]string{HostPlatform(): d}}
	if pin != nil {
		for plat, h := range pin.Hashes {
			if plat != HostPlatform() {
				p.Hashes[plat] = h
			}
		}
	}
	return p, nil
}

// describe starts bin, checks its description and returns it.
func describe(ctx context.Context, bin binary) (*sdk.Description, error) {
	p, err := start(ctx, context.Background(), bin, io.Discard)
	if err != nil {
		return nil, err
	}
	defer p.kill()
	desc, err := p.remote.Describe(ctx)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", bin.name, err)
	}
	if err := checkDescription(bin, desc); err != nil {
		return nil, err
	}
	return desc, nil
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
