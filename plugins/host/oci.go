package host

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
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

// PushPlugin pushes a plugin binary to ref (which must carry a tag) as an
// OCI artifact of type specv1.ArtifactTypePlugin with one layer of type
// specv1.MediaTypePluginBinary, and returns the manifest descriptor.
func PushPlugin(ctx context.Context, binaryPath, ref string, o PushOptions) (ocispec.Descriptor, error) {
	repo, r, err := repository(ctx, ref, o.PlainHTTP)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if r.Reference == "" || strings.Contains(r.Reference, ":") {
		return ocispec.Descriptor{}, fmt.Errorf("push plugin: reference %q needs a tag, e.g. %s:1.0.0", ref, ref)
	}
	layer, err := pushBinary(ctx, repo, binaryPath)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, specv1.ArtifactTypePlugin, oras.PackManifestOptions{
		Layers:              []ocispec.Descriptor{layer},
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
	layer := ocispec.Descriptor{MediaType: specv1.MediaTypePluginBinary, Digest: digest.Digest(d), Size: st.Size(),
		Annotations: map[string]string{ocispec.AnnotationTitle: filepath.Base(path)},
		Platform:    &ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}}
	if ok, err := repo.Exists(ctx, layer); err == nil && ok {
		return layer, nil
	}
	if err := repo.Push(ctx, layer, f); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push plugin binary %s (%s): %w", path, d, err)
	}
	return layer, nil
}

// pull fetches the plugin binary of source (tagged with version unless it
// has a reference) into dst with mode 0755, verifying its digest.
func pull(ctx context.Context, source, version, dst string, plainHTTP bool) error {
	ref := source
	if r, err := ckptremote.ParseRef(source); err == nil && r.Reference == "" {
		if version == "" {
			return fmt.Errorf("no tag in the source and no version to use as one")
		}
		ref = source + ":" + version
	}
	repo, r, err := repository(ctx, ref, plainHTTP)
	if err != nil {
		return err
	}
	layer, err := pluginLayer(ctx, repo, r.Reference)
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	rc, err := repo.Fetch(ctx, layer)
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

// pluginLayer reads the manifest at reference and returns its one plugin
// binary layer for this platform.
func pluginLayer(ctx context.Context, repo *remote.Repository, reference string) (ocispec.Descriptor, error) {
	desc, rc, err := repo.FetchReference(ctx, reference)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("fetch manifest: %w", err)
	}
	defer rc.Close()
	if desc.Size > maxManifest {
		return ocispec.Descriptor{}, fmt.Errorf("manifest %s is %d bytes, more than %d", desc.Digest, desc.Size, maxManifest)
	}
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("read manifest %s: %w", desc.Digest, err)
	}
	return parsePluginManifest(b, desc.Digest.String())
}

// parsePluginManifest checks a plugin manifest and returns its binary layer.
func parsePluginManifest(b []byte, name string) (ocispec.Descriptor, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("manifest %s: %w", name, err)
	}
	if m.ArtifactType != specv1.ArtifactTypePlugin && m.Config.MediaType != specv1.ArtifactTypePlugin {
		return ocispec.Descriptor{}, fmt.Errorf("manifest %s is not a ckpt plugin (artifactType %q, want %q)", name, m.ArtifactType, specv1.ArtifactTypePlugin)
	}
	var found []ocispec.Descriptor
	for _, l := range m.Layers {
		if l.MediaType == specv1.MediaTypePluginBinary {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		return ocispec.Descriptor{}, fmt.Errorf("manifest %s has %d layers of type %s, want 1", name, len(found), specv1.MediaTypePluginBinary)
	}
	l := found[0]
	if p := l.Platform; p != nil && (p.OS != runtime.GOOS || p.Architecture != runtime.GOARCH) {
		return ocispec.Descriptor{}, fmt.Errorf("plugin binary %s is built for %s/%s, this is %s/%s", l.Digest, p.OS, p.Architecture, runtime.GOOS, runtime.GOARCH)
	}
	if l.Size <= 0 || l.Size > maxBinary {
		return ocispec.Descriptor{}, fmt.Errorf("plugin binary %s has size %d, want 1 byte to 1 GiB", l.Digest, l.Size)
	}
	if err := l.Digest.Validate(); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("plugin binary layer of manifest %s: %w", name, err)
	}
	return l, nil
}
