// Package tree hands files on from one folder to another without copying
// their bytes where it can: a file is hard-linked, and copied only when a
// link is not possible (another file system, a file the caller may not
// link), or, with Options.Refer, carried as a symbolic link to its
// absolute path, for the store to record by reference (a user's model
// folder: never copied, moved or changed). Plugins use it to carry their
// read-only input files into their output folder; a hard link shares the
// input's inode and so stays read-only, a copy is a new writable file
// (0644).
package tree
