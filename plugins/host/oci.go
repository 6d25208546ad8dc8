package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Bounds on what a registry may hand us.
const (
	maxManifest = 4 << 20
	maxBinary   = 1 << 30
)

// fixedCreated is the created annotation of pushed plugin manifests, so
// that the same binary always gives the same manifest digest.
const fixedCreated = "1970-01-01T00:00:00Z"

// PushOptions configures PushPlugin; the zero value uses HTTPS.
type PushOptions struct {
	PlainHTTP bool
}

// repository opens the registry reference ref through packaging/remote's
// one credentialed opener.
func repository(ctx context.Context, ref string, plainHTTP bool) (*remote.Repository, ckptremote.Ref, error) {
	r, err := ckptremote.ParseRef(ref)
	if err != nil {
		return nil, r, err
	}
	repo, err := ckptremote.Repository(ctx, r, ckptremote.Options{PlainHTTP: plainHTTP})
	return repo, r, err
}

// PushPlugin pushes plugin binaries (one per platform) to ref, which must
// carry a tag, as an OCI artifact of type specv1.ArtifactTypePlugin with one
// layer of type specv1.MediaTypePluginBinary per binary, each labelled with
// the platform its executable header names. It returns the manifest.
func PushPlugin(ctx context.Context, binaries []string, ref string, o PushOptions) (ocispec.Descriptor, error) {
	if len(binaries) == 0 {
		return ocispec.Descriptor{}, errors.New("push plugin: no binary to push")
	}
	repo, r, err := repository(ctx, ref, o.PlainHTTP)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if r.Reference == "" || strings.Contains(r.Reference, ":") {
		return ocispec.Descriptor{}, fmt.Errorf("push plugin: reference %q needs a tag, e.g. %s:1.0.0", ref, ref)
	}
	var layers []ocispec.Descriptor
	seen := map[string]string{}
	for _, b := range binaries {
		layer, err := pushBinary(ctx, repo, b)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		plat := layer.Platform.OS + "/" + layer.Platform.Architecture
		if prev, ok := seen[plat]; ok {
			return ocispec.Descriptor{}, fmt.Errorf("push plugin: %s and %s are both %s binaries", prev, b, plat)
		}
		seen[plat] = b
		layers = append(layers, layer)
	}
	desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, specv1.ArtifactTypePlugin, oras.PackManifestOptions{
		Layers:              layers,
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: fixedCreated},
	})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push plugin manifest to %s: %w", ref, err)
	}
	if err := repo.Tag(ctx, desc, r.Reference); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("tag %s: %w", ref, err)
	}
	return desc, nil
}

func pushBinary(ctx context.Context, repo *remote.Repository, path string) (ocispec.Descriptor, error) {
	plat, err := BinaryPlatform(path)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push plugin: %w", err)
	}
	d, _, err := FileDigest(path)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push plugin: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push plugin: %w", err)
	}
	goos, arch, _ := strings.Cut(plat, "/")
	layer := ocispec.Descriptor{MediaType: specv1.MediaTypePluginBinary, Digest: digest.Digest(d), Size: st.Size(),
		Annotations: map[string]string{ocispec.AnnotationTitle: filepath.Base(path)},
		Platform:    &ocispec.Platform{OS: goos, Architecture: arch}}
	if ok, err := repo.Exists(ctx, layer); err == nil && ok {
		return layer, nil
	}
	if err := repo.Push(ctx, layer, f); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push plugin binary %s (%s): %w", path, d, err)
	}
	return layer, nil
}

// remotePlugin is a plugin manifest read from a registry.
type remotePlugin struct {
	repo *remote.Repository
	ref  string
	// manifest is the manifest's digest.
	manifest string
	// layers maps a platform to its binary layer; "" holds a layer with no
	// platform label (taken as the platform that installs it).
	layers map[string]ocispec.Descriptor
}

// resolve reads the plugin manifest of source (tagged with version unless
// it has a reference). Nothing is downloaded but the manifest.
func resolve(ctx context.Context, source, version string, plainHTTP bool) (*remotePlugin, error) {
	ref := source
	if r, err := ckptremote.ParseRef(source); err == nil && r.Reference == "" {
		if version == "" {
			return nil, fmt.Errorf("no tag in the source and no version to use as one")
		}
		ref = source + ":" + version
	}
	repo, r, err := repository(ctx, ref, plainHTTP)
	if err != nil {
		return nil, err
	}
	desc, b, err := fetchManifest(ctx, repo, r.Reference)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	layers, err := parsePluginManifest(b, desc.Digest.String())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return &remotePlugin{repo: repo, ref: ref, manifest: desc.Digest.String(), layers: layers}, nil
}

// layer returns the binary layer for platform.
func (rp *remotePlugin) layer(platform string) (ocispec.Descriptor, error) {
	if l, ok := rp.layers[platform]; ok {
		return l, nil
	}
	if l, ok := rp.layers[""]; ok && platform == HostPlatform() {
		return l, nil
	}
	have := make([]string, 0, len(rp.layers))
	for p := range rp.layers {
		have = append(have, p)
	}
	sort.Strings(have)
	return ocispec.Descriptor{}, fmt.Errorf("%s@%s has no binary for %s (it has %s)", rp.ref, rp.manifest, platform, strings.Join(have, ", "))
}

// fetch downloads layer into dst with mode 0755, verifying its digest.
func (rp *remotePlugin) fetch(ctx context.Context, layer ocispec.Descriptor, dst string) error {
	rc, err := rp.repo.Fetch(ctx, layer)
	if err != nil {
		return fmt.Errorf("fetch plugin binary %s: %w", layer.Digest, err)
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	vr := content.NewVerifyReader(rc, layer)
	if _, err := io.Copy(out, vr); err != nil {
		out.Close()
		return fmt.Errorf("fetch plugin binary %s: %w", layer.Digest, err)
	}
	if err := vr.Verify(); err != nil {
		out.Close()
		return fmt.Errorf("fetch plugin binary %s: %w", layer.Digest, err)
	}
	return out.Close()
}

// fetchManifest reads the manifest at reference, bounded in size.
func fetchManifest(ctx context.Context, repo *remote.Repository, reference string) (ocispec.Descriptor, []byte, error) {
	desc, rc, err := repo.FetchReference(ctx, reference)
	if err != nil {
		return desc, nil, fmt.Errorf("fetch manifest: %w", err)
	}
	defer rc.Close()
	if desc.Size > maxManifest {
		return desc, nil, fmt.Errorf("manifest %s is %d bytes, more than %d", desc.Digest, desc.Size, maxManifest)
	}
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		return desc, nil, fmt.Errorf("read manifest %s: %w", desc.Digest, err)
	}
	return desc, b, nil
}

// parsePluginManifest checks a plugin manifest and returns its binary
// layers by platform.
func parsePluginManifest(b []byte, name string) (map[string]ocispec.Descriptor, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	if m.ArtifactType != specv1.ArtifactTypePlugin && m.Config.MediaType != specv1.ArtifactTypePlugin {
		return nil, fmt.Errorf("manifest %s is not a ckpt plugin (artifactType %q, want %q)", name, m.ArtifactType, specv1.ArtifactTypePlugin)
	}
	layers := map[string]ocispec.Descriptor{}
	for _, l := range m.Layers {
		if l.MediaType != specv1.MediaTypePluginBinary {
			continue
		}
		plat := ""
		if p := l.Platform; p != nil {
			plat = p.OS + "/" + p.Architecture
		}
		if _, dup := layers[plat]; dup {
			return nil, fmt.Errorf("manifest %s has two binaries for platform %q", name, plat)
		}
		if l.Size <= 0 || l.Size > maxBinary {
			return nil, fmt.Errorf("plugin binary %s has size %d, want 1 byte to 1 GiB", l.Digest, l.Size)
		}
		if err := l.Digest.Validate(); err != nil || l.Digest.Algorithm() != digest.SHA256 {
			return nil, errors.Join(fmt.Errorf("plugin binary layer of manifest %s: digest %q is not sha256", name, l.Digest), err)
		}
		layers[plat] = l
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("manifest %s has no layer of type %s", name, specv1.MediaTypePluginBinary)
	}
	return layers, nil
}
