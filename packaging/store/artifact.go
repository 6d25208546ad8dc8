package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// PutDir stores every regular file under dir as one artifact: a layer per
// file (sorted by relative path, media type specv1.MediaTypeFile, annotated
// with its slash-separated relative path and its mode, 0644 or 0755;
// NumCPU files are hashed at a time), meta as the config and annotations
// on the manifest. Files are moved into the store: dir is left without
// them. A symbolic link with an absolute target that is a regular file
// outside dir (a user's file a plugin refers to) is a layer of that
// file's bytes, stored as Layout.ReferFile does: reflinked, else an
// external blob; the file is never moved or changed. The manifest holds no
// timestamp, so the same files and metadata always give the same digest,
// referred to or not. A folder with no files gives a manifest with the OCI
// empty layer.
func (s *Store) PutDir(ctx context.Context, dir string, meta specv1.Metadata, annotations map[string]string) (ocispec.Descriptor, error) {
	return s.PutDirKnown(ctx, dir, meta, annotations, nil)
}

// PutDirKnown is PutDir with known, which gives the digests of referred
// files that the caller hashed already (a build's hash cache), so that
// their bytes are not read again.
func (s *Store) PutDirKnown(ctx context.Context, dir string, meta specv1.Metadata, annotations map[string]string, known Known) (ocispec.Descriptor, error) {
	files, err := listFiles(dir)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layers := make([]ocispec.Descriptor, len(files))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.NumCPU())
	for i, f := range files {
		eg.Go(func() error {
			p := filepath.Join(dir, filepath.FromSlash(f.rel))
			var desc ocispec.Descriptor
			var err error
			if f.link {
				desc, err = s.lay.ReferFile(ectx, p, known)
			} else {
				desc, err = s.lay.MoveFile(ectx, p)
			}
			if err != nil {
				return err
			}
			desc.MediaType = specv1.MediaTypeFile
			desc.Annotations = map[string]string{
				ocispec.AnnotationTitle: f.rel,
				specv1.AnnotationMode:   gitMode(f.mode),
			}
			layers[i] = desc
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return ocispec.Descriptor{}, err
	}
	if len(layers) == 0 {
		empty, err := s.PushBytes(ctx, ocispec.MediaTypeEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		layers = append(layers, empty)
	}
	return s.putManifest(ctx, meta, layers, annotations)
}

func (s *Store) putManifest(ctx context.Context, meta specv1.Metadata, layers []ocispec.Descriptor, annotations map[string]string) (ocispec.Descriptor, error) {
	cfg, err := json.Marshal(meta)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("artifact metadata: %w", err)
	}
	cfgDesc, err := s.PushBytes(ctx, specv1.MediaTypeArtifactConfig, cfg)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if len(annotations) == 0 {
		annotations = nil
	}
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: specv1.MediaTypeArtifact,
		Config:       cfgDesc,
		Layers:       layers,
		Annotations:  annotations,
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("artifact manifest: %w", err)
	}
	desc, err := s.PushBytes(ctx, ocispec.MediaTypeImageManifest, b)
	desc.ArtifactType = specv1.MediaTypeArtifact
	return desc, err
}

// gitMode is the mode recorded for a file: "0755" when any execute bit is
// set, else "0644" (as git does), so that umask does not change digests.
func gitMode(m fs.FileMode) string {
	if m.Perm()&0o111 != 0 {
		return "0755"
	}
	return "0644"
}

type fileEntry struct {
	rel  string
	mode fs.FileMode
	link bool // a symbolic link to a user's file
}

// listFiles returns the regular files under dir, and the symbolic links
// to regular files outside it (with the mode of their target), sorted by
// relative path. Anything else but folders (other links, devices) is an
// error.
func listFiles(dir string) ([]fileEntry, error) {
	var out []fileEntry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		e := fileEntry{rel: filepath.ToSlash(rel), link: d.Type()&fs.ModeSymlink != 0}
		var info fs.FileInfo
		switch {
		case e.link:
			info, err = referred(dir, p)
		case d.Type().IsRegular():
			info, err = d.Info()
		default:
			err = fmt.Errorf("%s: not a regular file (%s); outputs hold files and folders only", p, d.Type())
		}
		if err != nil {
			return err
		}
		e.mode = info.Mode()
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("artifact folder %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out, nil
}

// referred returns the info of the regular file that the symbolic link p
// in dir refers to: its target must be an absolute path outside dir.
func referred(dir, p string) (fs.FileInfo, error) {
	target, err := os.Readlink(p)
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(target) {
		return nil, fmt.Errorf("%s: a symbolic link to %q; outputs hold files, folders and absolute links to files", p, target)
	}
	real, err := filepath.EvalSymlinks(target)
	if err != nil {
		return nil, fmt.Errorf("%s: links to %w", p, err)
	}
	if absDir, err := filepath.EvalSymlinks(dir); err == nil && inside(absDir, real) {
		return nil, fmt.Errorf("%s: links to %s inside the output; outputs link to files that outlive them", p, real)
	}
	info, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("%s: links to %w", p, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: links to %s, not a regular file", p, real)
	}
	return info, nil
}

// inside reports whether p is dir or below it.
func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Manifest reads and parses the manifest of desc, verified.
func (s *Store) Manifest(ctx context.Context, desc ocispec.Descriptor) (*ocispec.Manifest, error) {
	b, err := s.FetchAll(ctx, desc)
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(b)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	return m, nil
}

// parseManifest decodes a ckpt artifact manifest and checks that every
// layer title is a relative path inside the artifact.
func parseManifest(b []byte) (*ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m.ArtifactType != specv1.MediaTypeArtifact {
		return nil, fmt.Errorf("artifact type %q is not a ckpt artifact (%s)", m.ArtifactType, specv1.MediaTypeArtifact)
	}
	for _, l := range m.Layers {
		if title, ok := l.Annotations[ocispec.AnnotationTitle]; ok {
			if _, err := safeRel(title); err != nil {
				return nil, err
			}
		}
	}
	return &m, nil
}

// Metadata returns the metadata (config) of the artifact desc.
func (s *Store) Metadata(ctx context.Context, desc ocispec.Descriptor) (*specv1.Metadata, error) {
	m, err := s.Manifest(ctx, desc)
	if err != nil {
		return nil, err
	}
	b, err := s.FetchAll(ctx, m.Config)
	if err != nil {
		return nil, fmt.Errorf("artifact %s: config: %w", desc.Digest, err)
	}
	var meta specv1.Metadata
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("artifact %s: config %s: %w", desc.Digest, m.Config.Digest, err)
	}
	return &meta, nil
}

// Materialize writes the files of the artifact desc under dir as read-only
// hard links to the store's blobs (copies when dir is on another file
// system; for an external blob, a symbolic link to the user's file). Each
// blob is verified first (NumCPU files at a time): by its verification
// stamp when its file is unchanged since the store wrote or last verified
// it, else by hashing it (see Verify). Existing files are never
// overwritten.
func (s *Store) Materialize(ctx context.Context, desc ocispec.Descriptor, dir string) error {
	return s.materialize(ctx, desc, dir, s.linkBlob)
}

// MaterializePresent is Materialize of the files whose blobs the store
// holds; it returns the layers (with a title) it lacks, in manifest order:
// those of an artifact taken from a remote cache without its layers.
func (s *Store) MaterializePresent(ctx context.Context, desc ocispec.Descriptor, dir string) ([]ocispec.Descriptor, error) {
	m, err := s.Manifest(ctx, desc)
	if err != nil {
		return nil, err
	}
	var here, missing []ocispec.Descriptor
	for _, l := range m.Layers {
		ok, err := s.Exists(ctx, l)
		switch {
		case err != nil:
			return nil, fmt.Errorf("materialize %s: layer %s: %w", desc.Digest, l.Digest, err)
		case ok:
			here = append(here, l)
		default:
			if _, titled := l.Annotations[ocispec.AnnotationTitle]; titled {
				missing = append(missing, l)
			}
		}
	}
	return missing, s.materializeLayers(ctx, desc, here, dir, s.linkBlob)
}

func (s *Store) materialize(ctx context.Context, desc ocispec.Descriptor, dir string, put place) error {
	m, err := s.Manifest(ctx, desc)
	if err != nil {
		return err
	}
	return s.materializeLayers(ctx, desc, m.Layers, dir, put)
}

// materializeLayers puts every layer with a title of artifact desc under dir.
func (s *Store) materializeLayers(ctx context.Context, desc ocispec.Descriptor, layers []ocispec.Descriptor, dir string, put place) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("materialize %s: %w", desc.Digest, err)
	}
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.NumCPU())
	for _, l := range layers {
		title, ok := l.Annotations[ocispec.AnnotationTitle]
		if !ok {
			continue
		}
		eg.Go(func() error { return s.materializeFile(ectx, l, dir, title, put) })
	}
	if err := eg.Wait(); err != nil {
		return fmt.Errorf("materialize %s: %w", desc.Digest, err)
	}
	return nil
}

func (s *Store) materializeFile(ctx context.Context, l ocispec.Descriptor, dir, title string, put place) error {
	rel, err := safeRel(title)
	if err != nil {
		return err
	}
	if err := s.verifyStamped(ctx, l); err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	dst := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return put(ctx, l, dst)
}

// linkBlob puts blob l at dst for a step to read: a hard link, a copy
// where dst is on another file system, and for an external blob a
// symbolic link to the user's file.
func (s *Store) linkBlob(ctx context.Context, l ocispec.Descriptor, dst string) error {
	if target, ok := s.lay.externalTarget(l.Digest); ok {
		return os.Symlink(target, dst)
	}
	src, _ := s.BlobPath(l.Digest)
	if err := os.Link(src, dst); err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	return s.copyBlob(ctx, l, dst)
}

func (s *Store) copyBlob(ctx context.Context, l ocispec.Descriptor, dst string) error {
	rc, err := s.Fetch(ctx, l)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return err
	}
	if _, err := copyCtx(ctx, f, rc); err != nil {
		f.Close()
		os.Remove(dst)
		return fmt.Errorf("%s: %w", dst, err)
	}
	return f.Close()
}

// safeRel checks that a layer title is a relative path inside the artifact.
func safeRel(title string) (string, error) {
	c := path.Clean(title)
	if title == "" || path.IsAbs(title) || c == "." || c == ".." || strings.HasPrefix(c, "../") || strings.Contains(title, "\\") {
		return "", fmt.Errorf("layer title %q: not a relative path inside the artifact", title)
	}
	return filepath.FromSlash(c), nil
}
