package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// flipByte changes the first byte of blob d in place, as bit rot or a
// stray writer would.
func flipByte(t *testing.T, s *store.Store, d digest.Digest) {
	t.Helper()
	p, _ := s.BlobPath(d)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, b, 0o444); err != nil {
		t.Fatal(err)
	}
}

func layerNamed(t *testing.T, s *store.Store, desc ocispec.Descriptor, title string) ocispec.Descriptor {
	t.Helper()
	m, err := s.Manifest(context.Background(), desc)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if l.Annotations[ocispec.AnnotationTitle] == title {
			return l
		}
	}
	t.Fatalf("no layer %s", title)
	return ocispec.Descriptor{}
}

// Writing a blob whose digest is present but whose bytes are corrupt
// replaces it (issue 16, failure 2: the rebuilt step kept failing).
func TestWriteRepairsCorruptBlob(t *testing.T) {
	ctx := context.Background()
	meta := specv1.Metadata{Kind: "model"}
	for _, tc := range []struct {
		name  string
		write func(s *store.Store) error
	}{
		{"PutDir", func(s *store.Store) error { _, err := s.PutDir(ctx, writeFiles(t, sample), meta, nil); return err }},
		{"Push", func(s *store.Store) error {
			b := []byte(sample["consolidated.safetensors"])
			return s.Push(ctx, ocispec.Descriptor{Digest: digest.FromBytes(b), Size: int64(len(b))}, bytes.NewReader(b))
		}},
		{"LinkFile", func(s *store.Store) error {
			l, err := store.CreateLayout(s.Root())
			if err != nil {
				return err
			}
			_, err = l.LinkFile(ctx, filepath.Join(writeFiles(t, sample), "consolidated.safetensors"))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			desc, err := s.PutDir(ctx, writeFiles(t, sample), meta, nil)
			if err != nil {
				t.Fatal(err)
			}
			w := layerNamed(t, s, desc, "consolidated.safetensors")
			flipByte(t, s, w.Digest)
			if err := s.Materialize(ctx, desc, t.TempDir()); !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("materialize of a corrupt blob: %v, want ErrCorrupt", err)
			}
			if err := tc.write(s); err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(ctx, w); err != nil {
				t.Fatalf("after rewrite: %v", err)
			}
			if err := s.Materialize(ctx, desc, t.TempDir()); err != nil {
				t.Fatal(err)
			}
			if left, _ := os.ReadDir(filepath.Join(s.Root(), "ingest")); len(left) != 0 {
				t.Errorf("ingest holds %d files after the repair", len(left))
			}
		})
	}
}

func TestCheckArtifact(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, s *store.Store, desc ocispec.Descriptor)
		want   error
	}{
		{"intact", func(*testing.T, *store.Store, ocispec.Descriptor) {}, nil},
		{"corrupt layer", func(t *testing.T, s *store.Store, desc ocispec.Descriptor) {
			flipByte(t, s, layerNamed(t, s, desc, "params.json").Digest)
		}, store.ErrCorrupt},
		{"missing layer", func(t *testing.T, s *store.Store, desc ocispec.Descriptor) {
			p, _ := s.BlobPath(layerNamed(t, s, desc, "params.json").Digest)
			os.Remove(p)
		}, errdef.ErrNotFound},
		{"missing config", func(t *testing.T, s *store.Store, desc ocispec.Descriptor) {
			m, _ := s.Manifest(ctx, desc)
			p, _ := s.BlobPath(m.Config.Digest)
			os.Remove(p)
		}, errdef.ErrNotFound},
		{"corrupt manifest", func(t *testing.T, s *store.Store, desc ocispec.Descriptor) { flipByte(t, s, desc.Digest) }, store.ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			desc, err := s.PutDir(ctx, writeFiles(t, sample), specv1.Metadata{Kind: "model"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.damage(t, s, desc)
			err = s.CheckArtifact(ctx, desc)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("CheckArtifact = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyAllReportsAndRepairs(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	desc, err := s.PutDir(ctx, writeFiles(t, sample), specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, desc, "step-model.base"); err != nil {
		t.Fatal(err)
	}
	w := layerNamed(t, s, desc, "consolidated.safetensors")
	gone := layerNamed(t, s, desc, "params.json")
	p, _ := s.BlobPath(gone.Digest)
	os.Remove(p)
	// A stamp that still matches must not hide the damage: the mtime is kept.
	wp, _ := s.BlobPath(w.Digest)
	fi, _ := os.Stat(wp)
	flipByte(t, s, w.Digest)
	os.Chtimes(wp, fi.ModTime(), fi.ModTime())

	rep, err := s.VerifyAll(ctx, store.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := problems(rep)
	want := map[digest.Digest]string{w.Digest: "corrupt step-model.base", gone.Digest: "missing step-model.base"}
	if len(got) != 2 || got[w.Digest] != want[w.Digest] || got[gone.Digest] != want[gone.Digest] {
		t.Fatalf("problems %v, want %v", got, want)
	}
	if rep.Repaired {
		t.Error("a plain verify says it repaired")
	}
	if _, err := os.Stat(wp); err != nil {
		t.Fatalf("a plain verify removed the corrupt blob: %v", err)
	}

	rep, err = s.VerifyAll(ctx, store.VerifyOptions{Repair: true})
	if err != nil || !rep.Repaired {
		t.Fatalf("repair: %v %+v", err, rep)
	}
	if _, err := os.Stat(wp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("corrupt blob still there after --repair: %v", err)
	}
	rep, _ = s.VerifyAll(ctx, store.VerifyOptions{})
	if got := problems(rep); len(got) != 2 || !strings.HasPrefix(got[w.Digest], "missing") {
		t.Fatalf("after repair: %v, want both blobs missing", got)
	}
	// A rebuild writes them again.
	if _, err := s.PutDir(ctx, writeFiles(t, sample), specv1.Metadata{Kind: "model"}, nil); err != nil {
		t.Fatal(err)
	}
	if rep, _ := s.VerifyAll(ctx, store.VerifyOptions{}); len(rep.Problems) != 0 || rep.Blobs == 0 {
		t.Fatalf("after rebuild: %+v", rep)
	}
}

func TestVerifyRepairRefusedWhileInUse(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	other, err := store.Open(ctx, s.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := s.VerifyAll(ctx, store.VerifyOptions{Repair: true}); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("repair while another store is open: %v, want ErrInUse", err)
	}
	if _, err := s.VerifyAll(ctx, store.VerifyOptions{}); err != nil {
		t.Fatalf("plain verify while in use: %v", err)
	}
}

func problems(rep store.VerifyReport) map[digest.Digest]string {
	out := map[digest.Digest]string{}
	for _, p := range rep.Problems {
		out[p.Digest] = p.Problem + " " + strings.Join(p.Names, ",")
	}
	return out
}
