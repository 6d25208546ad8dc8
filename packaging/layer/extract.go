package layer

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrUnsafePath is returned for an entry or layer path that is absolute,
// contains "..", or is a link that points outside the destination.
var ErrUnsafePath = errors.New("unsafe path")

// CheckPath returns name cleaned (slash separated) when it is a local,
// relative path inside a destination folder, else an error wrapping
// ErrUnsafePath.
func CheckPath(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty path: %w", ErrUnsafePath)
	}
	if strings.Contains(name, "\\") || strings.HasPrefix(name, "/") || filepath.IsAbs(name) {
		return "", fmt.Errorf("%q is absolute or not slash-separated: %w", name, ErrUnsafePath)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("%q contains \"..\": %w", name, ErrUnsafePath)
		}
	}
	clean := path.Clean(name)
	if clean == "." || !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", fmt.Errorf("%q is not a local path: %w", name, ErrUnsafePath)
	}
	return clean, nil
}

// ExtractOptions tune ExtractTar. The zero value extracts every entry.
type ExtractOptions struct {
	// Include, when set, tells which regular files and links to write.
	Include func(name string) bool
}

// ExtractTar writes the entries of the tar stream r under root and returns
// the names of the files it wrote. Regular files, folders, and links that
// stay inside root are written; absolute names, "..", links leaving root and
// special files are refused with an error naming the entry. root confines
// every write, also through symlinks written earlier.
func ExtractTar(r io.Reader, root *os.Root, opts ExtractOptions) ([]string, error) {
	tr := tar.NewReader(r)
	var names []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return names, fmt.Errorf("tar: %w", err)
		}
		if hdr.Typeflag == tar.TypeDir && path.Clean(hdr.Name) == "." {
			continue // the archive's own root ("./")
		}
		name, err := CheckPath(hdr.Name)
		if err != nil {
			return names, fmt.Errorf("tar entry: %w", err)
		}
		if isSparse(hdr) {
			return names, fmt.Errorf("tar entry %s: sparse file (%d bytes stored as holes) not allowed: %w", name, hdr.Size, ErrUnsafePath)
		}
		if hdr.Typeflag != tar.TypeDir && opts.Include != nil && !opts.Include(name) {
			continue
		}
		if err := extractEntry(tr, hdr, name, root); err != nil {
			return names, fmt.Errorf("tar entry %s: %w", name, err)
		}
		if hdr.Typeflag != tar.TypeDir {
			names = append(names, name)
		}
	}
}

// isSparse tells whether hdr is a GNU sparse file, old style or PAX. The
// tar reader expands its holes into zeros, so a few hundred bytes of
// archive can claim a file of terabytes; model layers never hold one.
func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func extractEntry(tr io.Reader, hdr *tar.Header, name string, root *os.Root) error {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return root.MkdirAll(name, 0o755)
	case tar.TypeReg:
		return writeEntry(tr, name, hdr.Mode, hdr.Size, root)
	case tar.TypeSymlink:
		if path.IsAbs(hdr.Linkname) {
			return fmt.Errorf("symlink to %q: %w", hdr.Linkname, ErrUnsafePath)
		}
		if _, err := CheckPath(path.Join(path.Dir(name), hdr.Linkname)); err != nil {
			return fmt.Errorf("symlink to %q leaves the folder: %w", hdr.Linkname, ErrUnsafePath)
		}
		_ = root.Remove(name)
		return root.Symlink(hdr.Linkname, name)
	case tar.TypeLink:
		target, err := CheckPath(hdr.Linkname)
		if err != nil {
			return fmt.Errorf("hard link: %w", err)
		}
		_ = root.Remove(name)
		return root.Link(target, name)
	default:
		return fmt.Errorf("entry type %q not allowed: %w", string(hdr.Typeflag), ErrUnsafePath)
	}
}

func writeEntry(r io.Reader, name string, mode, size int64, root *os.Root) error {
	perm := fs.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	_ = root.Remove(name) // never write through an existing link
	f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("wrote %d bytes, header says %d: %w", n, size, io.ErrUnexpectedEOF)
	}
	return err
}
