package chatfmt_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/compat"
)

// render is ckpt's Jinja renderer with Mistral's special tokens.
func render(template string, conversation []byte) (string, error) {
	return compat.RenderTemplate(template, conversation, compat.DefaultVars())
}

// fixtureTemplates maps each chat template mistral-common generates to
// the version it is for: v7_image_spm.jinja is v7 with SentencePiece.
func fixtureTemplates(t *testing.T) map[string]chatfmt.Version {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(fixtures(t, "chat_templates"), "*.jinja"))
	if len(paths) < 18 {
		t.Fatalf("found %d templates", len(paths))
	}
	out := map[string]chatfmt.Version{}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".jinja")
		tag, _, _ := strings.Cut(name, "_")
		v, err := chatfmt.ParseVersion(tag)
		if err != nil {
			t.Fatal(err)
		}
		v.SPM = strings.HasSuffix(name, "_spm")
		out[p] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestFixtureTemplatesAreCanonical: every chat template mistral-common
// generates renders the canonical text of its version for the whole suite.
func TestFixtureTemplatesAreCanonical(t *testing.T) {
	templates := fixtureTemplates(t)
	for _, path := range sortedKeys(templates) {
		v := templates[path]
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			diffs, err := chatfmt.Diff(render, string(src), v)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Error(d)
			}
		})
	}
}
