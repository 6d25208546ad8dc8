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
	l, err := modelpack.CreateLayout(filepath.Join(t.TempDir(), "layout"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := l.PutBytes(specv1.MediaTypeModelConfig, []byte(`{"descriptor":{},"config":{},"modelfs":{"type":"layers","diffIds":[]}}`))
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
