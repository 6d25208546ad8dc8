package store

import (
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// FuzzParseManifest feeds arbitrary manifest bytes to the parser: nothing
// may panic, and every layer title it accepts stays inside the artifact.
func FuzzParseManifest(f *testing.F) {
	head := `{"schemaVersion":2,"artifactType":"` + specv1.MediaTypeArtifact + `","layers":[{"digest":"sha256:` + strings.Repeat("a", 64) + `","size":1,"annotations":{"org.opencontainers.image.title":"`
	for _, title := range []string{"a", "../x", "/etc/x", "a/../../b", "a\\b", "", "a/./b", "..."} {
		f.Add([]byte(head + title + `"}}]}`))
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err != nil {
			return
		}
		for _, l := range m.Layers {
			title, ok := l.Annotations[ocispec.AnnotationTitle]
			if !ok {
				continue
			}
			rel, err := safeRel(title)
			if err != nil || !filepath.IsLocal(rel) {
				t.Fatalf("accepted title %q → %q (%v) escapes the artifact", title, rel, err)
			}
		}
	})
}

// FuzzParseIndex feeds arbitrary index.json bytes to the parser.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:` + strings.Repeat("a", 64) + `","annotations":{"org.opencontainers.image.ref.name":"x"}}]}`))
	f.Add([]byte(`{"manifests":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := parseIndex(b)
		if err == nil && idx.Manifests == nil {
			t.Fatal("nil manifest list")
		}
	})
}

// FuzzParseStamp feeds arbitrary stamp file bytes to the parser: nothing
// may panic, and what it accepts prints back to the same stamp.
func FuzzParseStamp(f *testing.F) {
	f.Add([]byte(fileID{dev: 2049, ino: 1234, size: 4096, mtime: 1764240000123456789}.String()))
	f.Add([]byte("v1 1 2 3\n"))
	f.Add([]byte("v2 1 2 3 4\n"))
	f.Add([]byte("v1 -1 2 3 4\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, ok := parseStamp(b)
		if !ok {
			return
		}
		if again, ok := parseStamp([]byte(id.String())); !ok || again != id {
			t.Fatalf("%q parsed as %+v, which prints as %q", b, id, id.String())
		}
	})
}
