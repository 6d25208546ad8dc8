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
func cacheKey(ctx context.Context, s *plan.Step, resolved []byte, inputs []input, files *hashCache) (string, error) {
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
		if err := fingerprint(ctx, h, p, files); err != nil {
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
// skipped.
func fingerprint(ctx context.Context, h hash.Hash, root string, files *hashCache) error {
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
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
		case mode.IsDir():
			fmt.Fprintf(h, "%q d\n", rel)
		case mode.IsRegular():
			sum, err := files.sum(ctx, p, info)
			if err != nil {
				return err
			}
			x := "-"
			if mode&0o111 != 0 {
				x = "x"
			}
			fmt.Fprintf(h, "%q f %d %s %s\n", rel, info.Size(), sum, x)
		case mode&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%q l %q\n", rel, target)
		default:
			fmt.Fprintf(h, "%q o %s\n", rel, mode.Type())
		}
		return nil
	})
}
