package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// reflink makes dst share src's extents copy-on-write (the FICLONE ioctl:
// btrfs, XFS, bcachefs, overlayfs on those); it fails where the file
// system cannot (ext4, tmpfs, across file systems).
func reflink(dst, src *os.File) error {
	return unix.IoctlFileClone(int(dst.Fd()), int(src.Fd()))
}
