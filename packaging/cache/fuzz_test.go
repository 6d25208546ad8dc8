package cache

import (
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzParseEntry feeds parseEntry (the index bytes a registry serves):
// it never panics, and what it accepts round-trips through newIndex.
func FuzzParseEntry(f *testing.F) {
	good, err := newIndex(Entry{Key: "sha256:" + strings.Repeat("1", 64), Step: "model.base", Plugin: plugin,
		Artifact: ocispec.Descriptor{Digest: digest.FromString("m"), Size: 10}, Created: time.Unix(0, 0)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseEntry(b)
		if err != nil {
			return
		}
		again, err := newIndex(*e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := parseEntry(again)
		if err != nil || e2.Key != e.Key || e2.Artifact.Digest != e.Artifact.Digest || e2.Plugin != e.Plugin {
			t.Fatalf("round trip: %+v vs %+v (%v)", e2, e, err)
		}
	})
}

// FuzzParseMemo feeds parseMemo (the memo manifest a registry serves): it
// never panics, and an answer it accepts matches the config's digest.
func FuzzParseMemo(f *testing.F) {
	good, err := newMemo("validate", "k", plugin, []byte(`[]`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"mediaType":"application/vnd.oci.image.manifest.v1+json"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, m, err := parseMemo(b)
		if err != nil {
			return
		}
		if m.Config.Data != nil && digest.FromBytes(m.Config.Data) != m.Config.Digest {
			t.Fatalf("accepted an answer that does not match %s", m.Config.Digest)
		}
		if _, err := digest.Parse(e.Key); err != nil {
			t.Fatalf("accepted key %q", e.Key)
		}
	})
}
