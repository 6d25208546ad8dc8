package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RewriteManifest lets edit change the first manifest of the OCI layout
// folder layout (a bundle with one manifest), then writes the changed
// manifest as a new blob and points index.json at it: a deliberately wrong
// bundle for a judge to refuse.
func RewriteManifest(t testing.TB, layout string, edit func(*ocispec.Manifest)) {
	t.Helper()
	var idx ocispec.Index
	readJSON(t, filepath.Join(layout, ocispec.ImageIndexFile), &idx)
	var m ocispec.Manifest
	readJSON(t, blobFile(layout, idx.Manifests[0].Digest), &m)
	edit(&m)
	b, _ := json.Marshal(m)
	idx.Manifests[0].Digest, idx.Manifests[0].Size = WriteBlob(t, layout, b), int64(len(b))
	ib, _ := json.Marshal(idx)
	if err := os.WriteFile(filepath.Join(layout, ocispec.ImageIndexFile), ib, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteBlob writes b into the layout's blobs and returns its digest.
func WriteBlob(t testing.TB, layout string, b []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(b)
	if err := os.WriteFile(blobFile(layout, d), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func blobFile(layout string, d digest.Digest) string {
	return filepath.Join(layout, "blobs", d.Algorithm().String(), d.Encoded())
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
