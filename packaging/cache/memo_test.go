package cache

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

var memoPlugin = specv1.PluginID{Name: "diag", Digest: "sha256:" + strings.Repeat("d", 64)}

func TestMemoSaveLookup(t *testing.T) {
	reg := testenv.NewRegistry(t)
	c := openCache(t, reg.Host, nil, Options{})
	answer := []byte(`{"name":"diag","components":[]}`)
	if _, err := c.LookupMemo(t.Context(), "describe", memoPlugin.Digest, memoPlugin); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("empty cache: %v, want not found", err)
	}
	if err := c.SaveMemo(t.Context(), "describe", memoPlugin.Digest, memoPlugin, answer); err != nil {
		t.Fatal(err)
	}
	got, err := c.LookupMemo(t.Context(), "describe", memoPlugin.Digest, memoPlugin)
	if err != nil || !bytes.Equal(got, answer) {
		t.Fatalf("lookup: %s, %v", got, err)
	}
	// One round trip reads a memo: the answer is in the manifest.
	before := reg.Requests.Load()
	if _, err := c.LookupMemo(t.Context(), "describe", memoPlugin.Digest, memoPlugin); err != nil || reg.Requests.Load()-before != 1 {
		t.Errorf("lookup took %d requests (%v), want 1", reg.Requests.Load()-before, err)
	}
	// A second save of the same answer writes nothing.
	uploads := reg.BlobUploads.Load()
	before = reg.Requests.Load()
	if err := c.SaveMemo(t.Context(), "describe", memoPlugin.Digest, memoPlugin, answer); err != nil || reg.BlobUploads.Load() != uploads || reg.Requests.Load()-before != 1 {
		t.Errorf("second save: %d requests, %d uploads (%v)", reg.Requests.Load()-before, reg.BlobUploads.Load()-uploads, err)
	}
	other := memoPlugin
	other.Digest = "sha256:" + strings.Repeat("e", 64)
	for _, miss := range []struct {
		kind, key string
		plugin    specv1.PluginID
	}{
		{"describe", other.Digest, other},           // another binary: another key
		{"validate", memoPlugin.Digest, memoPlugin}, // another kind
		{"describe", memoPlugin.Digest, other},      // the key, asked for another binary
	} {
		if _, err := c.LookupMemo(t.Context(), miss.kind, miss.key, miss.plugin); err == nil {
			t.Errorf("%s %s for %s: a hit", miss.kind, miss.key, miss.plugin.Digest)
		}
	}
}

// TestMemoForgedIsMiss puts manifests under a memo's tag that do not
// answer its key: each is a miss.
func TestMemoForgedIsMiss(t *testing.T) {
	reg := testenv.NewRegistry(t)
	c := openCache(t, reg.Host, nil, Options{})
	answer := []byte(`[]`)
	other, err := newMemo("validate", "another request", memoPlugin, answer)
	if err != nil {
		t.Fatal(err)
	}
	lying := bytes.Replace(mustMemo(t, "validate", "k", answer), []byte(`"data":"W10="`), []byte(`"data":"W3t9XQ=="`), 1)
	if bytes.Equal(lying, mustMemo(t, "validate", "k", answer)) {
		t.Fatal("the forged answer is the answer")
	}
	for name, raw := range map[string][]byte{"another key's memo": other, "embedded bytes not matching": lying} {
		if err := c.SaveMemo(t.Context(), "validate", "another request", memoPlugin, answer); err != nil {
			t.Fatal(err)
		}
		d := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, raw)
		if err := c.repo.PushReference(t.Context(), d, bytes.NewReader(raw), memoTag("validate", "k")); err != nil {
			t.Fatal(err)
		}
		if got, err := c.LookupMemo(t.Context(), "validate", "k", memoPlugin); err == nil {
			t.Errorf("%s: a hit: %s", name, got)
		}
	}
}

func mustMemo(t *testing.T, kind, key string, answer []byte) []byte {
	t.Helper()
	b, err := newMemo(kind, key, memoPlugin, answer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPruneMemosWithTheirPlugin checks that prune keeps the memos of a
// plugin binary that made a kept entry, and deletes the others.
func TestPruneMemosWithTheirPlugin(t *testing.T) {
	reg := testenv.NewRegistry(t)
	st := newStore(t)
	c := openCache(t, reg.Host, st, Options{})
	if err := c.Save(t.Context(), key1, "model.base", plugin, putArtifact(t, st, map[string]string{"a.txt": "a"})); err != nil {
		t.Fatal(err)
	}
	kept := specv1.PluginID{Name: plugin.Name, Digest: plugin.Digest}
	for _, m := range []struct {
		kind string
		p    specv1.PluginID
	}{{"describe", kept}, {"validate", kept}, {"describe", memoPlugin}} {
		if err := c.SaveMemo(t.Context(), m.kind, m.kind+m.p.Digest, m.p, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	memos, bad, err := c.Memos(t.Context())
	if err != nil || len(memos) != 3 || len(bad) != 0 {
		t.Fatalf("memos: %+v bad %v: %v", memos, bad, err)
	}
	rep, err := c.Prune(t.Context(), PruneOptions{OlderThan: 1 << 40})
	if err != nil || len(rep.Deleted) != 0 || len(rep.DeletedMemos) != 1 || rep.DeletedMemos[0].Plugin != memoPlugin || rep.KeptMemos != 2 {
		t.Fatalf("prune: %+v %v", rep, err)
	}
	if _, err := c.LookupMemo(t.Context(), "describe", "describe"+memoPlugin.Digest, memoPlugin); !errors.Is(err, errdef.ErrNotFound) {
		t.Errorf("a pruned memo is still found: %v", err)
	}
	if rep, err = c.Prune(t.Context(), PruneOptions{}); err != nil || len(rep.Deleted) != 1 || len(rep.DeletedMemos) != 2 {
		t.Fatalf("prune all: %+v %v", rep, err)
	}
	if memos, _, _ := c.Memos(t.Context()); len(memos) != 0 {
		t.Errorf("after prune all: %+v", memos)
	}
}
