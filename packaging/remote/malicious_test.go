package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/layer"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

type evilLayer struct {
	mediaType, path string
	data            []byte
}

// evilLayout writes a layout whose manifest (tagged "evil") has the given
// layers, then lets tamper change blob files.
func evilLayout(t *testing.T, layers []evilLayer, tamper func(l *modelpack.Layout, ds []ocispec.Descriptor)) string {
	t.Helper()
	return evilLayoutConfig(t, `{"descriptor":{},"config":{},"modelfs":{"type":"layers","diffIds":[]}}`, layers, tamper)
}

// evilLayoutConfig is evilLayout with the given ModelPack config.
func evilLayoutConfig(t *testing.T, config string, layers []evilLayer, tamper func(l *modelpack.Layout, ds []ocispec.Descriptor)) string {
	t.Helper()
	l, err := modelpack.CreateLayout(filepath.Join(t.TempDir(), "layout"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := l.PutBytes(specv1.MediaTypeModelConfig, []byte(config))
	var ds []ocispec.Descriptor
	for _, e := range layers {
		d, err := l.PutBytes(e.mediaType, e.data)
		if err != nil {
			t.Fatal(err)
		}
		if e.path != "" {
			d.Annotations = map[string]string{specv1.AnnotationFilepath: e.path, specv1.AnnotationTitle: e.path}
		}
		ds = append(ds, d)
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: specv1.MediaTypeModelManifest, Config: cfg, Layers: ds}
	if _, err := l.AddManifest(m, "evil"); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(l, ds)
	}
	return l.Dir()
}

func tarOf(t *testing.T, entries ...tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		h.Mode = 0o644
		body := []byte("pwned")
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	return buf.Bytes()
}

func TestPullRefusesMaliciousArtifacts(t *testing.T) {
	raw := specv1.MediaTypeModelWeightRaw
	tarType := specv1.MediaTypeModelWeightTar
	cases := map[string]struct {
		layers []evilLayer
		tamper func(l *modelpack.Layout, ds []ocispec.Descriptor)
		want   error
	}{
		"title ../x":     {layers: []evilLayer{{raw, "../x", []byte("pwned")}}, want: layer.ErrUnsafePath},
		"nested ../":     {layers: []evilLayer{{raw, "a/../../x", []byte("pwned")}}, want: layer.ErrUnsafePath},
		"absolute path":  {layers: []evilLayer{{raw, "/tmp/ckpt-evil-x", []byte("pwned")}}, want: layer.ErrUnsafePath},
		"duplicate path": {layers: []evilLayer{{raw, "w.safetensors", []byte("one")}, {raw, "./w.safetensors", []byte("two")}}, want: errDuplicatePath},
		"tar entry ../x": {layers: []evilLayer{{tarType, "", tarOf(t, tar.Header{Name: "../x", Typeflag: tar.TypeReg})}}, want: layer.ErrUnsafePath},
		"tar symlink out then write through it": {layers: []evilLayer{{tarType, "", tarOf(t,
			tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "../.."},
			tar.Header{Name: "link/x", Typeflag: tar.TypeReg})}}, want: layer.ErrUnsafePath},
		"tar absolute symlink": {layers: []evilLayer{{tarType, "", tarOf(t,
			tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc"})}}, want: layer.ErrUnsafePath},
		"tar hard link out": {layers: []evilLayer{{tarType, "", tarOf(t,
			tar.Header{Name: "hl", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"})}}, want: layer.ErrUnsafePath},
		"digest mismatch": {layers: []evilLayer{{raw, "w.safetensors", []byte("original")}},
			tamper: func(l *modelpack.Layout, ds []ocispec.Descriptor) {
				p := l.BlobPath(ds[0].Digest)
				os.Chmod(p, 0o644)
				os.WriteFile(p, []byte("tampered"), 0o644)
			}, want: ErrDigestMismatch},
		"truncated blob": {layers: []evilLayer{{raw, "w.safetensors", []byte("original bytes")}},
			tamper: func(l *modelpack.Layout, ds []ocispec.Descriptor) {
				os.Truncate(l.BlobPath(ds[0].Digest), 4)
			}, want: io.ErrUnexpectedEOF},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			lay := evilLayout(t, c.layers, c.tamper)
			parent := t.TempDir()
			out := filepath.Join(parent, "a", "b", "out")
			_, err := Pull(context.Background(), Ref{Dir: lay, Reference: "evil"}, out, PullOptions{})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			t.Logf("refused: %v", err)
			// Nothing outside out: the parent holds only the a/b/out chain.
			filepath.WalkDir(parent, func(p string, d os.DirEntry, _ error) error {
				if rel, _ := filepath.Rel(out, p); strings.HasPrefix(rel, "..") && !strings.HasPrefix(out, p) {
					t.Errorf("written outside the destination: %s", p)
				}
				return nil
			})
			if _, err := os.Lstat("/tmp/ckpt-evil-x"); err == nil {
				t.Error("wrote an absolute path")
			}
			if name == "digest mismatch" || name == "truncated blob" {
				if _, err := os.Stat(filepath.Join(out, "w.safetensors")); err == nil {
					t.Error("unverified file put in place")
				}
			}
		})
	}
}

// zeros returns n zero bytes, zstd-compressed (a few KiB), optionally as
// the one entry "w.bin" of a tar stream.
func zeros(t *testing.T, n int64, asTar bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := layer.NewZstdWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var w io.Writer = zw
	var tw *tar.Writer
	if asTar {
		tw = tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: "w.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: n})
		w = tw
	}
	if _, err := io.CopyN(w, zeroReader{}, n); err != nil {
		t.Fatal(err)
	}
	if tw != nil {
		tw.Close()
	}
	zw.Close()
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A layer of a few KiB that decodes to more than 1024× its size plus
// 64 MiB is refused before it fills the disk; one at the bound passes.
func TestPullRefusesDecompressionBombs(t *testing.T) {
	const n = 96 << 20
	for name, l := range map[string]evilLayer{
		"raw+zstd": {specv1.MediaTypeWeightZstd, "w.bin", zeros(t, n, false)},
		"tar+zstd": {specv1.MediaTypeModelWeightZstd, "", zeros(t, n, true)},
	} {
		t.Run(name, func(t *testing.T) {
			if bound := MaxExpansion*int64(len(l.data)) + ExpansionSlack; bound >= n {
				t.Fatalf("the bomb (%d bytes) is within the bound %d", len(l.data), bound)
			}
			out := t.TempDir()
			_, err := Pull(context.Background(), Ref{Dir: evilLayout(t, []evilLayer{l}, nil), Reference: "evil"}, out, PullOptions{})
			if !errors.Is(err, ErrExpansion) {
				t.Fatalf("err = %v, want ErrExpansion", err)
			}
			if fi, err := os.Stat(filepath.Join(out, "w.bin")); err == nil && fi.Size() > ExpansionSlack+MaxExpansion*int64(len(l.data)) {
				t.Fatalf("wrote %d bytes", fi.Size())
			}
		})
	}
	small := zeros(t, ExpansionSlack, false) // exactly the slack: allowed
	out := t.TempDir()
	if _, err := Pull(context.Background(), Ref{Dir: evilLayout(t, []evilLayer{{specv1.MediaTypeWeightZstd, "w.bin", small}}, nil), Reference: "evil"}, out, PullOptions{}); err != nil {
		t.Fatalf("a layer within the bound: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(out, "w.bin")); err != nil || fi.Size() != ExpansionSlack {
		t.Fatalf("w.bin: %v %v", fi, err)
	}
}

func TestPullAllowsLinksInside(t *testing.T) {
	lay := evilLayout(t, []evilLayer{{specv1.MediaTypeModelWeightTar, "", tarOf(t,
		tar.Header{Name: "dir/", Typeflag: tar.TypeDir},
		tar.Header{Name: "dir/a", Typeflag: tar.TypeReg},
		tar.Header{Name: "b", Typeflag: tar.TypeSymlink, Linkname: "dir/a"})}}, nil)
	out := t.TempDir()
	if _, err := Pull(context.Background(), Ref{Dir: lay, Reference: "evil"}, out, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "b")); err != nil || string(b) != "pwned" {
		t.Fatalf("link inside: %q %v", b, err)
	}
}
