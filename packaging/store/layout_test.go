package store_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content/oci"

	"github.com/ckpt-dev/ckpt/packaging/store"
)

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestLayoutWritesWhatOrasReads writes blobs the three ways (bytes,
// stream, link-in), a manifest and index.json, and reads them back with
// oras-go's OCI store.
func TestLayoutWritesWhatOrasReads(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "layout")
	l, err := store.CreateLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "weights.bin")
	os.WriteFile(src, []byte("weights"), 0o640)
	linked, err := l.LinkFile(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := l.BlobPath(linked.Digest)
	if inode(t, p) != inode(t, src) {
		t.Error("LinkFile copied the file instead of linking it")
	}
	if fi, _ := os.Stat(src); fi.Mode().Perm() != 0o640 {
		t.Errorf("LinkFile changed the source's mode to %v", fi.Mode().Perm())
	}
	streamed, err := l.IngestFunc(ctx, func(w io.Writer) error { _, err := io.WriteString(w, "encoded"); return err })
	if err != nil || streamed.Digest != digest.FromString("encoded") || streamed.Size != 7 {
		t.Fatalf("IngestFunc: %+v, %v", streamed, err)
	}
	cfg, err := l.IngestBytes(ctx, ocispec.MediaTypeEmptyJSON, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	linked.MediaType, streamed.MediaType = "application/octet-stream", "application/octet-stream"
	m := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":` + desc(cfg) +
		`,"layers":[` + desc(linked) + `,` + desc(streamed) + `]}`)
	md, err := l.IngestBytes(ctx, ocispec.MediaTypeImageManifest, m)
	if err != nil {
		t.Fatal(err)
	}
	md.Annotations = map[string]string{ocispec.AnnotationRefName: "v1"}
	if err := l.WriteIndex([]ocispec.Descriptor{md}); err != nil {
		t.Fatal(err)
	}
	l.Done()
	if _, err := os.Stat(filepath.Join(dir, "ingest")); !os.IsNotExist(err) {
		t.Errorf("Done left the ingest folder: %v", err)
	}
	s, err := oci.NewFromFS(ctx, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Resolve(ctx, "v1")
	if err != nil || got.Digest != md.Digest {
		t.Fatalf("oras resolves v1 to %v, %v", got.Digest, err)
	}
	for _, d := range []ocispec.Descriptor{linked, streamed, cfg} {
		if ok, err := s.Exists(ctx, d); !ok || err != nil {
			t.Errorf("oras misses blob %s: %v", d.Digest, err)
		}
	}
}

func desc(d ocispec.Descriptor) string {
	return `{"mediaType":"` + d.MediaType + `","digest":"` + d.Digest.String() + `","size":` + itoa(d.Size) + `}`
}

// TestLayoutRefusesWrongBytes: bytes that do not match the expected digest
// are not stored, and no partial file is left behind.
func TestLayoutRefusesWrongBytes(t *testing.T) {
	dir := t.TempDir()
	l, err := store.CreateLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := digest.FromString("right")
	_, err = l.Ingest(context.Background(), strings.NewReader("wrong"), want, 5)
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	if ok, _ := l.Exists(want); ok {
		t.Error("a corrupt blob was stored")
	}
	_, err = l.IngestFunc(context.Background(), func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("encoder failed")
	})
	if err == nil || !strings.Contains(err.Error(), "encoder failed") {
		t.Fatalf("err = %v", err)
	}
	for _, sub := range []string{"ingest", "blobs/sha256"} {
		if ents, _ := os.ReadDir(filepath.Join(dir, sub)); len(ents) != 0 {
			t.Errorf("%s holds %d files after failed writes", sub, len(ents))
		}
	}
}

// TestWriteIndexSorted: index.json lists manifests by digest, then name,
// whatever the order they were given in, and replaces the old index whole.
func TestWriteIndexSorted(t *testing.T) {
	dir := t.TempDir()
	l, err := store.CreateLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("a"), Size: 1}
	b := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("b"), Size: 1}
	tag := func(d ocispec.Descriptor, name string) ocispec.Descriptor {
		d.Annotations = map[string]string{ocispec.AnnotationRefName: name}
		return d
	}
	in := []ocispec.Descriptor{tag(a, "z"), tag(b, "y"), tag(a, "x")}
	var outs [2]string
	for i, order := range [][]int{{0, 1, 2}, {2, 1, 0}} {
		var ms []ocispec.Descriptor
		for _, j := range order {
			ms = append(ms, in[j])
		}
		if err := l.WriteIndex(ms); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(filepath.Join(dir, "index.json"))
		outs[i] = string(raw)
	}
	if outs[0] != outs[1] {
		t.Errorf("index depends on the order given:\n%s\n%s", outs[0], outs[1])
	}
	first, second := digest.FromString("a"), digest.FromString("b")
	if first > second {
		first, second = second, first
	}
	if i, j := strings.Index(outs[0], first.String()), strings.LastIndex(outs[0], second.String()); i < 0 || j < i {
		t.Errorf("index not sorted by digest:\n%s", outs[0])
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 4 { // blobs, ingest, index.json, oci-layout
		t.Errorf("layout root holds %d entries, want 4 (no temporary files)", len(ents))
	}
}

func TestCreateLayoutRefusesOtherVersion(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"2.0.0"}`), 0o644)
	if _, err := store.CreateLayout(dir); err == nil || !strings.Contains(err.Error(), "2.0.0") {
		t.Errorf("err = %v", err)
	}
}
