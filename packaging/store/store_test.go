package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeFiles creates files (relative path → content) under a new folder.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var sample = map[string]string{
	"params.json":                 `{"dim": 8}`,
	"consolidated.safetensors":    strings.Repeat("w", 4096),
	"tokenizer/tekken.json":       `{"vocab": []}`,
	"tokenizer/special/empty.txt": "",
}

func TestPutDirMaterializeRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	dir := writeFiles(t, sample)
	meta := specv1.Metadata{Kind: "model", ID: "mistral-tiny", License: "Apache-2.0"}
	desc, err := s.PutDir(ctx, dir, meta, map[string]string{specv1.AnnotationStep: "model.base"})
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(left) != 0 {
		t.Errorf("files were not moved into the store: %v left", left)
	}
	got, err := s.Metadata(ctx, desc)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != meta.ID || got.License != meta.License || got.Kind != "model" {
		t.Errorf("metadata = %+v, want %+v", got, meta)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := s.Materialize(ctx, desc, out); err != nil {
		t.Fatal(err)
	}
	for rel, want := range sample {
		p := filepath.Join(out, filepath.FromSlash(rel))
		b, err := os.ReadFile(p)
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", rel, b, err, want)
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != 0o444 {
			t.Errorf("%s mode = %v, want read-only", rel, fi.Mode())
		}
		blob, _ := s.BlobPath(digest.FromString(want))
		bi, _ := os.Stat(blob)
		if !os.SameFile(fi, bi) {
			t.Errorf("%s is not a hard link to its blob", rel)
		}
	}
}

func TestPutDirDeterministic(t *testing.T) {
	ctx := context.Background()
	meta := specv1.Metadata{Kind: "merge", DType: "bf16"}
	a, err := openStore(t).PutDir(ctx, writeFiles(t, sample), meta, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := openStore(t).PutDir(ctx, writeFiles(t, sample), meta, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest {
		t.Errorf("same files, two digests: %s and %s", a.Digest, b.Digest)
	}
}

func TestPutDirModeIgnoresUmask(t *testing.T) {
	ctx := context.Background()
	var digests []digest.Digest
	for _, mode := range []os.FileMode{0o644, 0o600, 0o664} {
		dir := writeFiles(t, map[string]string{"a": "x"})
		os.Chmod(filepath.Join(dir, "a"), mode)
		desc, err := openStore(t).PutDir(ctx, dir, specv1.Metadata{Kind: "model"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, desc.Digest)
	}
	if digests[0] != digests[1] || digests[1] != digests[2] {
		t.Errorf("file modes changed the digest: %v", digests)
	}
	dir := writeFiles(t, map[string]string{"run.sh": "#!/bin/sh"})
	os.Chmod(filepath.Join(dir, "run.sh"), 0o700)
	s := openStore(t)
	desc, _ := s.PutDir(ctx, dir, specv1.Metadata{Kind: "model"}, nil)
	m, _ := s.Manifest(ctx, desc)
	if got := m.Layers[0].Annotations[specv1.AnnotationMode]; got != "0755" {
		t.Errorf("executable mode recorded as %q", got)
	}
}

func TestPutDirEmptyFolder(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	desc, err := s.PutDir(ctx, t.TempDir(), specv1.Metadata{Kind: "check"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Manifest(ctx, desc)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != ocispec.MediaTypeEmptyJSON {
		t.Errorf("layers = %+v, want the OCI empty layer", m.Layers)
	}
	if err := s.Materialize(ctx, desc, filepath.Join(t.TempDir(), "x")); err != nil {
		t.Fatal(err)
	}
}

func TestSameBlobStoredOnce(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	for i := 0; i < 2; i++ {
		if _, err := s.PutDir(ctx, writeFiles(t, sample), specv1.Metadata{Kind: "model"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	blobs, _ := os.ReadDir(filepath.Join(s.Root(), "blobs", "sha256"))
	// 4 distinct files + config + manifest.
	if len(blobs) != 6 {
		t.Errorf("%d blobs, want 6", len(blobs))
	}
}

func TestHardLinkedOutputIsCopied(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	user := filepath.Join(t.TempDir(), "weights.bin")
	if err := os.WriteFile(user, []byte("user weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := os.Link(user, filepath.Join(out, "weights.bin")); err != nil {
		t.Fatal(err)
	}
	desc, err := s.PutDir(ctx, out, specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(user)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("user's file changed: %v %v", fi, err)
	}
	blob, _ := s.BlobPath(digest.FromString("user weights"))
	bi, _ := os.Stat(blob)
	if os.SameFile(fi, bi) {
		t.Error("the store shares an inode with a user's file")
	}
	if err := s.Materialize(ctx, desc, filepath.Join(t.TempDir(), "m")); err != nil {
		t.Fatal(err)
	}
}

func TestTagResolve(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a, _ := s.PutDir(ctx, writeFiles(t, map[string]string{"a": "1"}), specv1.Metadata{Kind: "model"}, nil)
	b, _ := s.PutDir(ctx, writeFiles(t, map[string]string{"b": "2"}), specv1.Metadata{Kind: "model"}, nil)
	if _, err := s.Resolve(ctx, "step-model.base"); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("unknown name: err = %v, want ErrNotFound", err)
	}
	for _, d := range []ocispec.Descriptor{a, b} {
		if err := s.Tag(ctx, d, "step-model.base"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Resolve(ctx, "step-model.base")
	if err != nil || got.Digest != b.Digest {
		t.Fatalf("Resolve = %v, %v; want %s (the last tag wins)", got.Digest, err, b.Digest)
	}
	byDigest, err := s.Resolve(ctx, a.Digest.String())
	if err != nil || byDigest.Digest != a.Digest || byDigest.Size != a.Size {
		t.Fatalf("Resolve(digest) = %+v, %v; want %+v", byDigest, err, a)
	}
	if _, err := s.Resolve(ctx, digest.FromString("nope").String()); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("unknown digest: err = %v, want ErrNotFound", err)
	}
	if err := s.Tag(ctx, a, state.CacheTag("sha256:"+strings.Repeat("ab", 32))); err != nil {
		t.Fatal(err)
	}
	tags, _ := s.Tags(ctx)
	if len(tags) != 2 {
		t.Errorf("tags = %v, want 2", tags)
	}
	if err := s.Tag(ctx, a, "bad/name"); !errors.Is(err, store.ErrInvalidName) {
		t.Errorf("bad name: err = %v", err)
	}
	missing := ocispec.Descriptor{Digest: digest.FromString("nope"), Size: 4}
	if err := s.Tag(ctx, missing, "x"); !errors.Is(err, errdef.ErrNotFound) {
		t.Errorf("tagging a missing manifest: err = %v", err)
	}
}

func TestCorruptBlobDetected(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	desc, err := s.PutDir(ctx, writeFiles(t, sample), specv1.Metadata{Kind: "model"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := digest.FromString(sample["consolidated.safetensors"])
	p, _ := s.BlobPath(bad)
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, bytes.Repeat([]byte("x"), 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	err = s.Materialize(ctx, desc, filepath.Join(t.TempDir(), "m"))
	if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), bad.String()) {
		t.Fatalf("err = %v, want ErrCorrupt naming %s", err, bad)
	}
	// A truncated manifest is caught too.
	mp, _ := s.BlobPath(desc.Digest)
	os.Chmod(mp, 0o644)
	os.Truncate(mp, 10)
	if _, err := s.Metadata(ctx, desc); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("truncated manifest: err = %v", err)
	}
}

func TestPushRejectsWrongDigest(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	want := ocispec.Descriptor{Digest: digest.FromString("hello"), Size: 5}
	err := s.Push(ctx, want, strings.NewReader("HELLO"))
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	if ok, _ := s.Exists(ctx, want); ok {
		t.Error("a blob with the wrong content was stored")
	}
	assertNoIngest(t, s)
}

func TestMaterializeRefusesEscapingTitle(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	blob, _ := s.PushBytes(ctx, specv1.MediaTypeFile, []byte("x"))
	blob.Annotations = map[string]string{ocispec.AnnotationTitle: "../../etc/evil"}
	cfg, _ := s.PushBytes(ctx, specv1.MediaTypeArtifactConfig, []byte(`{"kind":"model"}`))
	m := `{"schemaVersion":2,"mediaType":"` + ocispec.MediaTypeImageManifest + `","artifactType":"` + specv1.MediaTypeArtifact +
		`","config":{"mediaType":"` + cfg.MediaType + `","digest":"` + cfg.Digest.String() + `","size":` + itoa(cfg.Size) +
		`},"layers":[{"mediaType":"x","digest":"` + blob.Digest.String() + `","size":1,"annotations":{"org.opencontainers.image.title":"../../etc/evil"}}]}`
	desc, _ := s.PushBytes(ctx, ocispec.MediaTypeImageManifest, []byte(m))
	err := s.Materialize(ctx, desc, filepath.Join(t.TempDir(), "m"))
	if err == nil || !strings.Contains(err.Error(), "../../etc/evil") {
		t.Fatalf("err = %v, want a refusal naming the title", err)
	}
}

func TestMaterializeNotEmpty(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	desc, _ := s.PutDir(ctx, writeFiles(t, map[string]string{"a": "1"}), specv1.Metadata{Kind: "model"}, nil)
	out := writeFiles(t, map[string]string{"a": "mine"})
	if err := s.Materialize(ctx, desc, out); err == nil {
		t.Fatal("Materialize overwrote an existing file")
	}
	if b, _ := os.ReadFile(filepath.Join(out, "a")); string(b) != "mine" {
		t.Errorf("existing file changed to %q", b)
	}
}

func TestOpenRejectsForeignLayout(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "oci-layout"), []byte(`{"imageLayoutVersion":"9.9.9"}`), 0o644)
	if _, err := store.Open(context.Background(), root); err == nil || !strings.Contains(err.Error(), "9.9.9") {
		t.Fatalf("err = %v", err)
	}
}

func assertNoIngest(t *testing.T, s *store.Store) {
	t.Helper()
	left, _ := os.ReadDir(filepath.Join(s.Root(), "ingest"))
	if len(left) != 0 {
		t.Errorf("ingest holds %d leftover files", len(left))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
