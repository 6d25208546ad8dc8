package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/ckpt-dev/ckpt/packaging/layer"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
)

// pullFile downloads one layer into PartialDir, verifies it, decodes it
// there and checks the decoded bytes against the layer's diffId, then
// moves its file(s) in place: nothing unverified ever carries a final
// name. A refused layer (its bytes or its decoded content do not match,
// it is unsafe or a bomb) leaves nothing in PartialDir; one interrupted by
// the network is kept there for the next pull to resume.
func pullFile(ctx context.Context, s source, root *os.Root, f modelpack.FileInfo, opts PullOptions) ([]string, error) {
	partial := path.Join(PartialDir, f.Layer.Digest.Encoded())
	if err := download(ctx, s, root, partial, f.Layer, opts); err != nil {
		if _, network := s.(ranger); !network || errors.Is(err, ErrDigestMismatch) {
			_ = root.Remove(partial)
			_ = root.Remove(partial + ".parts")
		}
		return nil, err
	}
	opts.emit(Event{Action: "done", Desc: f.Layer, Done: f.Layer.Size})
	switch f.Encoding {
	case layer.Raw:
		return []string{f.Path}, place(root, partial, f.Path)
	case layer.Float, layer.Zstd:
		err := decodeFile(ctx, root, partial, f)
		_ = root.Remove(partial)
		return []string{f.Path}, err
	default:
		staging := partial + ".x"
		defer root.RemoveAll(staging)
		names, err := extract(root, partial, staging, f, opts.Include)
		_ = root.Remove(partial)
		if err == nil {
			err = moveTree(root, staging)
		}
		if err != nil && f.Path == "" && len(names) > 0 {
			err = fmt.Errorf("%s: %w", strings.Join(names, ", "), err)
		}
		return names, err
	}
}

// moveTree moves everything under the folder from (inside root) to the
// same relative paths in root, replacing files that were there.
func moveTree(root *os.Root, from string) error {
	sub, err := root.OpenRoot(from)
	if err != nil {
		return err
	}
	defer sub.Close()
	return fs.WalkDir(sub.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		if d.IsDir() {
			return root.MkdirAll(p, 0o755)
		}
		_ = root.Remove(p)
		return root.Rename(path.Join(from, p), p)
	})
}

// place moves a verified blob to its path, replacing what was there.
func place(root *os.Root, from, to string) error {
	if dir := path.Dir(to); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	_ = root.Remove(to)
	if err := root.Rename(from, to); err != nil {
		return err
	}
	return root.Chmod(to, 0o644)
}

// decodeFile decodes a float- or zstd-coded blob into PartialDir, checks
// the result against the layer's diffId and moves it into place.
func decodeFile(ctx context.Context, root *os.Root, partial string, f modelpack.FileInfo) error {
	in, err := root.Open(partial)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := partial + ".decoded"
	out, err := root.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	h := sha256.New()
	w := io.MultiWriter(out, h)
	if f.Encoding == layer.Float {
		_, err = layer.DecodeFloat(ctx, w, in, layer.FloatOptions{})
	} else {
		err = decodeZstd(w, in, f.Layer)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkDiffID(f, h)
	}
	if err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return place(root, tmp, f.Path)
}

func decodeZstd(w io.Writer, r io.Reader, l ocispec.Descriptor) error {
	dec, err := layer.NewZstdReader(r)
	if err != nil {
		return err
	}
	defer dec.Close()
	_, err = io.Copy(w, capped(dec, l))
	return err
}

// ErrExpansion refuses a compressed layer that decodes to more than
// MaxExpansion times its size plus ExpansionSlack: a decompression bomb,
// a few KiB that would fill the disk. Weights code at most about 2:1 and
// text some 10:1, far below the bound.
var ErrExpansion = errors.New("layer decodes past the decompression bound")

// The decompression bound of a layer of n bytes: MaxExpansion×n + ExpansionSlack.
const (
	MaxExpansion   = 1024
	ExpansionSlack = 64 << 20
)

// capped reads the decoded stream r of layer l up to its decompression bound.
func capped(r io.Reader, l ocispec.Descriptor) io.Reader {
	limit := MaxExpansion*max(l.Size, 0) + ExpansionSlack
	return &capReader{r: r, left: limit, limit: limit, layer: l.Digest}
}

type capReader struct {
	r           io.Reader
	left, limit int64
	layer       digest.Digest
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, err := io.ReadFull(c.r, one[:]); n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, fmt.Errorf("layer %s decodes to more than %d bytes: %w", c.layer, c.limit, ErrExpansion)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func checkDiffID(f modelpack.FileInfo, h hash.Hash) error {
	if f.DiffID == "" {
		return nil
	}
	got := digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil)))
	if got.String() != f.DiffID {
		return fmt.Errorf("decoded content hashes to %s, diffId says %s: %w", got, f.DiffID, ErrDigestMismatch)
	}
	return nil
}

// extract unpacks a tar layer (plain, gzip or zstd) into the folder
// staging inside root and checks it against the layer's diffId.
func extract(root *os.Root, partial, staging string, f modelpack.FileInfo, include []string) ([]string, error) {
	in, err := root.Open(partial)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	_ = root.RemoveAll(staging)
	if err := root.Mkdir(staging, 0o755); err != nil {
		return nil, err
	}
	dst, err := root.OpenRoot(staging)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	var r io.Reader = in
	switch f.Encoding {
	case layer.TarZstd:
		dec, err := layer.NewZstdReader(in)
		if err != nil {
			return nil, err
		}
		defer dec.Close()
		r = dec
	case layer.TarGzip:
		gz, err := newGzipReader(in)
		if err != nil {
			return nil, err
		}
		r = gz
	}
	if f.Encoding != layer.Tar {
		r = capped(r, f.Layer)
	}
	h := sha256.New()
	opt := layer.ExtractOptions{}
	if f.Path == "" && len(include) > 0 {
		opt.Include = func(name string) bool { return matches(include, name) }
	}
	names, err := layer.ExtractTar(io.TeeReader(r, h), dst, opt)
	if err != nil {
		return names, err
	}
	if _, err := io.Copy(h, r); err != nil { // tar padding after the last entry
		return names, err
	}
	return names, checkDiffID(f, h)
}

// download fetches blob d into root/partial, resuming what an earlier,
// interrupted pull left there, and verifies its digest. A corrupt leftover
// is discarded and the blob fetched again once.
func download(ctx context.Context, s source, root *os.Root, partial string, d ocispec.Descriptor, opts PullOptions) error {
	err := fetchTo(ctx, s, root, partial, d, opts)
	_, network := s.(ranger) // a layout folder does not heal by retrying
	for i, wait := 1, 500*time.Millisecond; network && i < opts.attempts() && retriable(ctx, err); i, wait = i+1, 2*wait {
		select { // a dropped connection: continue from what arrived
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		err = fetchTo(ctx, s, root, partial, d, opts)
	}
	if errors.Is(err, errResumedMismatch) {
		_ = root.Remove(partial)
		err = fetchTo(ctx, s, root, partial, d, opts)
	}
	if errors.Is(err, errResumedMismatch) {
		_ = root.Remove(partial)
		return fmt.Errorf("blob %s: received bytes do not match: %w", d.Digest, ErrDigestMismatch)
	}
	return err
}

var errResumedMismatch = errors.New("resumed download does not match")

func fetchTo(ctx context.Context, s source, root *os.Root, partial string, d ocispec.Descriptor, opts PullOptions) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	if rg, ok := s.(ranger); ok && useRanges(d, opts, rg.loopback()) {
		sum, err := fetchRanges(ctx, rg, root, partial, d, opts)
		if !errors.Is(err, errNoRanges) {
			if err != nil {
				return err
			}
			return checkSum(d, sum, true)
		}
	}
	f, err := root.OpenFile(partial, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	have := min(st.Size(), d.Size)
	h := d.Digest.Algorithm().Hash()
	if have > 0 { // hash what an earlier pull left
		if _, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, have), make([]byte, 1<<20)); err != nil {
			return err
		}
	}
	n, err := fetchSequential(ctx, s, f, d, have, h, opts)
	if err != nil {
		return err
	}
	return checkSum(d, h.Sum(nil), n < d.Size)
}

// checkSum compares a computed digest with d; resumed tells a continued
// download (which is retried from scratch on mismatch).
func checkSum(d ocispec.Descriptor, sum []byte, resumed bool) error {
	if hex.EncodeToString(sum) == d.Digest.Encoded() {
		return nil
	}
	if resumed {
		return errResumedMismatch
	}
	return fmt.Errorf("blob %s: received bytes hash to %s:%x: %w", d.Digest, d.Digest.Algorithm(), sum, ErrDigestMismatch)
}

// retriable tells a transfer error worth resuming at once.
func retriable(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && !errors.Is(err, ErrDigestMismatch) &&
		!errors.Is(err, errResumedMismatch) && !errors.Is(err, errdef.ErrNotFound)
}
