package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
)

// cacheKey is a step's final cache key: "sha256:" over
//
//	"ckpt-step-key-v1\n"
//	"plan " + step.Key + "\n"             (plugin identity + canonical config)
//	"config " + resolved config + "\n"    (only for steps with upstream outputs)
//	"input " + addr + " " + attr + " " + digest + "\n"   (sorted)
//	"path " + path + "\n" then one line per entry under it (see fingerprint)
//
// Inputs are identified by artifact digest, so a step whose upstream output
// did not change stays cached even when the upstream step re-ran.
func cacheKey(ctx context.Context, s *plan.Step, resolved []byte, inputs []input) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "ckpt-step-key-v1\nplan %s\n", s.Key)
	if resolved != nil {
		fmt.Fprintf(h, "config %s\n", resolved)
	}
	lines := make([]string, 0, len(inputs))
	for _, in := range inputs {
		if in.keyed {
			lines = append(lines, fmt.Sprintf("input %s %s %s\n", in.Step, in.Attr, in.Digest))
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		h.Write([]byte(l))
	}
	paths := append([]string(nil), s.Paths...)
	sort.Strings(paths)
	for _, p := range paths {
		if err := fingerprint(ctx, h, p); err != nil {
			return "", fmt.Errorf("%s: fingerprint %s: %w", s.Address, p, err)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// fingerprint writes the identity of the file or folder at root: for every
// entry under it (sorted, root included) one line
//
//	relative-path size mtime-unix-ns mode
//
// The content is not read: like make and Bazel's local checks, a file whose
// size, mtime and mode are unchanged is taken as unchanged. A path that does
// not exist gives "missing", so that creating it later changes the key.
// Symbolic links at the root are followed; .ckpt folders (ckpt's state) are
// skipped.
func fingerprint(ctx context.Context, h hash.Hash, root string) error {
	fmt.Fprintf(h, "path %s\n", filepath.Base(root))
	real, err := filepath.EvalSymlinks(root)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(h, "missing\n")
		return nil
	}
	if err != nil {
		return err
	}
	root = real
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".ckpt" && p != root {
			return filepath.SkipDir // ckpt's own state (store, ledger) changes with every build
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		size := info.Size()
		if info.IsDir() {
			size = 0
		}
		fmt.Fprintf(h, "%s %d %d %s\n", filepath.ToSlash(rel), size, info.ModTime().UnixNano(), info.Mode())
		return nil
	})
}
