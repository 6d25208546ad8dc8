package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/layer"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func zstdOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := layer.NewZstdWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// A refused layer leaves nothing under a final name and nothing in
// PartialDir, and its error names the file (issue 16, failure 6).
func TestPullRefusedLayerLeavesNothing(t *testing.T) {
	wrongDiffID := `{"descriptor":{},"config":{},"modelfs":{"type":"layers","diffIds":["sha256:` + strings.Repeat("0", 64) + `"]}}`
	weights := tarOf(t, tar.Header{Name: "weights.safetensors", Typeflag: tar.TypeReg})
	for name, c := range map[string]struct {
		config string
		layer  evilLayer
		file   string
		want   error
	}{
		"tar+zstd diffId mismatch": {wrongDiffID, evilLayer{specv1.MediaTypeModelWeightZstd, "", zstdOf(t, weights)}, "weights.safetensors", ErrDigestMismatch},
		"raw+zstd diffId mismatch": {wrongDiffID, evilLayer{specv1.MediaTypeWeightZstd, "weights.safetensors", zstdOf(t, []byte("w"))}, "weights.safetensors", ErrDigestMismatch},
		"tar+zstd bomb":            {"", evilLayer{specv1.MediaTypeModelWeightZstd, "", zeros(t, 96<<20, true)}, "w.bin", ErrExpansion},
		"raw+zstd bomb":            {"", evilLayer{specv1.MediaTypeWeightZstd, "w.bin", zeros(t, 96<<20, false)}, "w.bin", ErrExpansion},
		"blob digest mismatch":     {"", evilLayer{specv1.MediaTypeModelWeightRaw, "w.bin", []byte("original")}, "w.bin", ErrDigestMismatch},
	} {
		t.Run(name, func(t *testing.T) {
			if c.config == "" {
				c.config = `{"descriptor":{},"config":{},"modelfs":{"type":"layers","diffIds":[]}}`
			}
			var tamper func(l *modelpack.Layout, ds []ocispec.Descriptor)
			if name == "blob digest mismatch" {
				tamper = func(l *modelpack.Layout, ds []ocispec.Descriptor) {
					p := l.BlobPath(ds[0].Digest)
					os.Chmod(p, 0o644)
					os.WriteFile(p, []byte("tampered"), 0o644)
				}
			}
			lay := evilLayoutConfig(t, c.config, []evilLayer{c.layer}, tamper)
			out := t.TempDir()
			_, err := Pull(context.Background(), Ref{Dir: lay, Reference: "evil"}, out, PullOptions{})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.file) {
				t.Errorf("error does not name %s: %v", c.file, err)
			}
			var left []string
			filepath.WalkDir(out, func(p string, d os.DirEntry, _ error) error {
				if p != out {
					left = append(left, p[len(out):])
				}
				return nil
			})
			if len(left) != 0 {
				t.Errorf("a refused layer left %v", left)
			}
		})
	}
}
