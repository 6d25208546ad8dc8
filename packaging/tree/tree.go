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

// Options say which entries Link carries over and how. The zero value
// hard-links (or copies) every file of the whole tree and leaves out hidden
// entries.
type Options struct {
	// Flat carries only the top-level files of the source folder
	// (sub-folders are left out).
	Flat bool
	// Refer carries each file as a symbolic link to its absolute path
	// (ReferFile) instead of a hard link: the store then records the
	// user's file by reference, never copying, moving or changing it.
	Refer bool
}

// Link hard-links (or copies, or with o.Refer links to) every file under
// src to the same relative path under dst, creating dst and sub-folders
// (0755) as needed, and returns how many files it carried. A file is a
// regular file or a symbolic link to one (a Hugging Face cache snapshot, a
// step's input that refers to a user's file): such a link is carried as
// the file it resolves to. src may be a symbolic link to a folder; links to
// folders below it are not followed. Entries whose name starts with "."
// (.git, .cache) and everything below them are left out, as are other
// links and non-regular files. A file that already exists under dst is an
// error. Link stops at the first error and when ctx is cancelled.
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
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		file, ok := regular(p, d)
		if !ok {
			return nil
		}
		n++
		if o.Refer {
			return ReferFile(file, target)
		}
		return LinkFile(file, target)
	})
	return n, err
}

// regular returns the regular file that entry p is or links to.
func regular(p string, d fs.DirEntry) (string, bool) {
	if d.Type().IsRegular() {
		return p, true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return "", false
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", false
	}
	fi, err := os.Stat(real)
	return real, err == nil && fi.Mode().IsRegular()
}

// ReferFile makes dst a symbolic link to src's absolute path, resolved
// through any links. dst must not exist.
func ReferFile(src, dst string) error {
	abs, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return err
	}
	return os.Symlink(real, dst)
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
