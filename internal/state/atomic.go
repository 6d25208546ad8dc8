package state

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes data to path atomically: readers see the old file or the
// whole new one, never a part, and the new file survives a crash once
// WriteFile returns. Missing parent folders are created.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// File is a file being written in place of path. Nothing is visible under
// path until Commit; Abort (or a crash) leaves only a temporary file named
// .NAME.*.tmp in the same folder, which Sweep removes.
type File struct {
	*os.File
	path string
	perm os.FileMode
	done bool
}

// Create starts writing path atomically with permissions perm.
func Create(path string, perm os.FileMode) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &File{File: f, path: path, perm: perm}, nil
}

// Path is the final path the file is written to.
func (f *File) Path() string { return f.path }

// Commit syncs the file, renames it over its path and syncs the folder.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: already done", f.path)
	}
	f.done = true
	tmp := f.File.Name()
	err := f.File.Chmod(f.perm)
	if err == nil {
		err = f.File.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return SyncDir(filepath.Dir(f.path))
}

// Abort drops the temporary file; after Commit it does nothing.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}

// Rename moves a finished file to path atomically and durably (the caller
// has synced it): the rename, then the folder.
func Rename(from, path string) error {
	if err := os.Rename(from, path); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a folder so that a rename into it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Copy writes r to path atomically (see WriteFile).
func Copy(path string, r io.Reader, perm os.FileMode) (int64, error) {
	f, err := Create(path, perm)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if err != nil {
		f.Abort()
		return n, fmt.Errorf("write %s: %w", path, err)
	}
	return n, f.Commit()
}
