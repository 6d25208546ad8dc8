package layer

import (
	"archive/tar"
	"fmt"
	"io"
	"strings"
	"time"
)

// TarOptions tune WriteTarFile. The zero value gives ModelPack's
// reproducible recipe: PAX format, mtime at the Unix epoch, uid/gid 0, no
// user or group names.
type TarOptions struct {
	// ModTime is the fixed mtime of every entry (default: the Unix epoch).
	ModTime time.Time
	// Parents writes a folder entry (mode 0755) for each parent folder of
	// the file first, for readers that do not create them (kit unpack).
	Parents bool
}

// WriteTarFile writes a tar stream holding one regular file, name (slash
// separated), with size bytes read from r. Mode is normalised to 0644, or
// 0755 when any execute bit of mode is set.
func WriteTarFile(w io.Writer, name string, mode int64, size int64, r io.Reader, opts TarOptions) error {
	mt := opts.ModTime
	if mt.IsZero() {
		mt = time.Unix(0, 0)
	}
	perm := int64(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	tw := tar.NewWriter(w)
	if opts.Parents {
		parts := strings.Split(name, "/")
		for i := 1; i < len(parts); i++ {
			dir := &tar.Header{Typeflag: tar.TypeDir, Name: strings.Join(parts[:i], "/") + "/", Mode: 0o755,
				ModTime: mt.UTC(), Format: tar.FormatPAX}
			if err := tw.WriteHeader(dir); err != nil {
				return fmt.Errorf("tar header %s: %w", dir.Name, err)
			}
		}
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg, Name: name, Size: size, Mode: perm,
		ModTime: mt.UTC(), Format: tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("tar header %s: %w", name, err)
	}
	n, err := io.Copy(tw, r)
	if err != nil {
		return fmt.Errorf("tar %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("tar %s: read %d bytes, want %d", name, n, size)
	}
	return tw.Close()
}
