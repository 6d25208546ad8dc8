package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
)

// cacheKey is a step's final cache key: "sha256:" over
//
//	"ckpt-step-key-v2\n"
//	"plan " + step.Key + "\n"             (plugin identity + canonical config)
//	"config " + resolved config + "\n"    (only for steps with upstream outputs)
//	"input " + addr + " " + attr + " " + digest + "\n"   (sorted)
//	"path " + path + "\n" then one line per entry under it (see fingerprint)
//
// Inputs are identified by artifact digest, so a step whose upstream output
// did not change stays cached even when the upstream step re-ran.
func cacheKey(ctx context.Context, s *plan.Step, resolved []byte, inputs []input, files *hashCache, note func(string)) (string, error) {
	hashing := func(root string, n int, size int64) {
		if size >= noteBytes {
			note(fmt.Sprintf("hashing %d files (%.1f GiB) under %s for the cache key; remembered in .ckpt/hashes.json",
				n, float64(size)/(1<<30), root))
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "ckpt-step-key-v2\nplan %s\n", s.Key)
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
		if err := fingerprint(ctx, h, p, files, hashing); err != nil {
			return "", fmt.Errorf("%s: fingerprint %s: %w", s.Address, p, err)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// fingerprint writes the content of the file or folder at root: for every
// entry under it (sorted, root included) one line
//
//	"relative-path" d                  a folder
//	"relative-path" f size sha256 x|-  a regular file (x: executable)
//	"relative-path" l "target"         a symbolic link
//	"relative-path" o mode             anything else
//
// (names Go-quoted, so that no name can forge a line)
//
// so that a key depends on bytes, not on where the checkout lies or when
// its files were touched, and equal inputs give equal keys anywhere. files
// spares re-hashing a file whose identity did not change. A path that does
// not exist gives "missing", so that creating it later changes the key.
// Symbolic links at the root are followed; .ckpt folders (ckpt's state) are
// skipped. hashing is told how many files (and bytes) are not in files
// before they are read.
func fingerprint(ctx context.Context, h hash.Hash, root string, files *hashCache, hashing func(root string, n int, size int64)) error {
	fmt.Fprintf(h, "path %s\n", filepath.Base(root))
	real, err := filepath.EvalSymlinks(root)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(h, "missing\n")
		return nil
	}
	if err != nil {
		return err
	}
	entries, err := walk(ctx, real)
	if err != nil {
		return err
	}
	if n, size := files.uncached(entries); n > 0 {
		hashing(root, n, size)
	}
	sums, err := files.sumAll(ctx, entries)
	if err != nil {
		return err
	}
	for i, e := range entries {
		switch mode := e.info.Mode(); {
		case mode.IsDir():
			fmt.Fprintf(h, "%q d\n", e.rel)
		case mode.IsRegular():
			x := "-"
			if mode&0o111 != 0 {
				x = "x"
			}
			fmt.Fprintf(h, "%q f %d %s %s\n", e.rel, e.info.Size(), sums[i], x)
		case mode&fs.ModeSymlink != 0:
			target, err := os.Readlink(e.path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%q l %q\n", e.rel, target)
		default:
			fmt.Fprintf(h, "%q o %s\n", e.rel, mode.Type())
		}
	}
	return nil
}

// noteBytes is how much content to hash makes a step say so in its log
// (about a second of work).
const noteBytes = 1 << 30

// entry is one file or folder under a fingerprinted path.
type entry struct {
	path, rel string
	info      fs.FileInfo
}

// walk lists root and everything under it in lexical order, skipping
// nested .ckpt folders (ckpt's own state changes with every build).
func walk(ctx context.Context, root string) ([]entry, error) {
	var out []entry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() && d.Name() == state.Name && p != root {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, entry{path: p, rel: filepath.ToSlash(rel), info: info})
		return nil
	})
	return out, err
}
