package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/layer"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// PartialDir is the folder inside a pull's destination that keeps
// interrupted downloads (PartialDir/<hex>), continued with Range requests.
const PartialDir = ".ckpt-partial"

// PullOptions tune Pull. The zero value pulls every file, three blobs at a
// time, splitting blobs of 64 MiB or more from remote registries into
// 16 MiB byte ranges.
type PullOptions struct {
	Options
	// Include selects files by glob (path.Match on the file path, or on its
	// base name for a pattern without "/"); none means every file.
	Include []string
	// RangeThreshold is the blob size from which a registry blob is fetched
	// in parallel byte ranges (default 64 MiB, except for registries on a
	// loopback address, where one stream is faster; negative: never).
	RangeThreshold int64
	// PartSize is the size of one byte range (default 16 MiB).
	PartSize int64
	// Attempts is how many times a blob download is tried, each continuing
	// where the last stopped (default 3).
	Attempts int
}

func (o PullOptions) attempts() int {
	if o.Attempts > 0 {
		return o.Attempts
	}
	return 3
}

// errDuplicatePath refuses an artifact naming one path twice.
var errDuplicatePath = errors.New("path appears twice in the artifact")

// PullResult says what Pull wrote.
type PullResult struct {
	Manifest ocispec.Descriptor
	Artifact *modelpack.Artifact
	// Files are the written paths relative to the destination, sorted.
	Files []string
}

// Pull writes the files of the model artifact src names into dir: every
// blob verified against its digest (and decoded layers against their
// diffIds), ckpt's codecs decoded, paths that are absolute, contain ".." or
// leave dir through links refused before anything is written.
func Pull(ctx context.Context, src Ref, dir string, opts PullOptions) (*PullResult, error) {
	s, err := openSource(ctx, src, opts.Options)
	if err != nil {
		return nil, err
	}
	desc, err := resolve(ctx, s, src)
	if err != nil {
		return nil, err
	}
	a, err := fetchArtifact(ctx, s, desc)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", src, err)
	}
	files, err := selectFiles(a, opts.Include)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, PartialDir), 0o755); err != nil {
		return nil, fmt.Errorf("pull into %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("pull into %s: %w", dir, err)
	}
	defer root.Close()
	res := &PullResult{Manifest: desc, Artifact: a}
	written := make([][]string, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.concurrency())
	for i, f := range files {
		g.Go(func() error {
			names, err := pullFile(gctx, s, root, f, opts)
			if err != nil {
				label := f.Path
				if label == "" {
					label = "layer" // its error names the files
				}
				return fmt.Errorf("pull %s %s (%s): %w", src, label, f.Layer.Digest, err)
			}
			written[i] = names
			return nil
		})
	}
	err = g.Wait()
	for _, w := range written {
		res.Files = append(res.Files, w...)
	}
	_ = root.Remove(PartialDir) // only when empty
	return res, err
}

func fetchArtifact(ctx context.Context, s source, desc ocispec.Descriptor) (*modelpack.Artifact, error) {
	mb, err := fetchSmall(ctx, s, desc)
	if err != nil {
		return nil, err
	}
	m, err := modelpack.ParseManifest(mb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", desc.Digest, err)
	}
	var cfg []byte
	if m.Config.Size > 0 {
		if cfg, err = fetchSmall(ctx, s, m.Config); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	return modelpack.Describe(m, cfg), nil
}

// selectFiles checks every layer path and keeps the included ones.
func selectFiles(a *modelpack.Artifact, include []string) ([]modelpack.FileInfo, error) {
	seen := map[string]bool{}
	var out []modelpack.FileInfo
	for _, f := range a.Files {
		if err := f.Layer.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("layer %q: %w", f.Path, err)
		}
		if f.Path == "" {
			if f.Encoding == layer.Raw {
				continue // unnamed raw layers have nowhere to go (as oras pull)
			}
		} else {
			clean, err := layer.CheckPath(f.Path)
			if err != nil {
				return nil, fmt.Errorf("layer %s: %w", f.Layer.Digest, err)
			}
			if seen[clean] {
				return nil, fmt.Errorf("layer %s: path %q: %w", f.Layer.Digest, clean, errDuplicatePath)
			}
			seen[clean] = true
			f.Path = clean
		}
		if f.Path == "" || matches(include, f.Path) {
			out = append(out, f)
		}
	}
	return out, nil
}

// matches reports whether p is selected by the globs (none: all).
func matches(globs []string, p string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, p); ok {
			return true
		}
		if !strings.Contains(g, "/") {
			if ok, _ := path.Match(g, path.Base(p)); ok {
				return true
			}
		}
		if strings.HasSuffix(g, "/**") && strings.HasPrefix(p, strings.TrimSuffix(g, "**")) {
			return true
		}
	}
	return false
}
