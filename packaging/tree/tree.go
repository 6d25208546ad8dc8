package tree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Options say which entries Link carries over. The zero value carries every
// regular file of the whole tree and leaves out hidden entries.
type Options struct {
	// Flat carries only the top-level regular files of the source folder
	// (sub-folders are left out).
	Flat bool
}

// Link hard-links (or copies) every regular file under src to the same
// relative path under dst, creating dst and sub-folders (0755) as needed,
// and returns how many files it carried. src may be a symbolic link to a
// folder; links below it are not followed. Entries whose name starts with
// "." (.git, .cache) and everything below them are left out, as are
// symbolic links and other non-regular files. A file that already exists
// under dst is an error. Link stops at the first error and when ctx is
// cancelled.
func Link(ctx context.Context, src, dst string, o Options) (int, error) {
	root, err := filepath.EvalSymlinks(src)
	if err != nil {
		return 0, err
	}
	n := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root {
			return os.MkdirAll(dst, 0o755)
		}
		if strings.HasPrefix(d.Name(), ".") || (o.Flat && d.IsDir()) {
			return skip(d)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		n++
		return LinkFile(p, target)
	})
	return n, err
}

// skip leaves out d: a folder with everything below it, a file alone.
func skip(d fs.DirEntry) error {
	if d.IsDir() {
		return filepath.SkipDir
	}
	return nil
}

// LinkFile hard-links src to dst, or copies it (CopyFile) when the link
// fails. dst must not exist.
func LinkFile(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	return CopyFile(src, dst)
}

// CopyFile copies src's bytes to a new file dst (0644). dst must not
// exist; on a failed copy it is removed again.
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		return errors.Join(fmt.Errorf("copy %s to %s: %w", src, dst, err), out.Close(), os.Remove(dst))
	}
	if err := out.Close(); err != nil {
		return errors.Join(fmt.Errorf("copy %s to %s: %w", src, dst, err), os.Remove(dst))
	}
	return nil
}
