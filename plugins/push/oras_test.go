package push

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/mlbom"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestOrasReadsBundle checks a ckpt bundle with the oras CLI against
// Debian's docker-registry (no referrers API: the tag schema fallback):
// `oras pull` writes every file under its path and `oras discover` lists
// the license report and the provenance.
func TestOrasReadsBundle(t *testing.T) {
	oras := testenv.RequireTool(t, "oras")
	host := testenv.ExternalRegistry(t)
	files := map[string]string{"consolidated.safetensors": "weights", "params.json": `{"dim":8}`,
		"tokenizer/tekken.json": `{}`, "README.md": "# tiny\n"}
	in := bundleOf(t, files, licensed, nil)
	ref := host + "/ckpt-test/oras-" + strings.TrimPrefix(in.Metadata.Outputs["digest"], "sha256:")[:12] + ":v1"
	if _, err := push(t, "registry", map[string]any{"bundle": "bundle.tiny", "ref": ref, "plain_http": true}, in); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command(oras, "pull", "--plain-http", "-o", out, ref)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oras pull: %v\n%s", err, b)
	}
	for p, want := range files {
		if b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p))); err != nil || string(b) != want {
			t.Errorf("oras pull %s: %q %v", p, b, err)
		}
	}
	b, err := exec.Command(oras, "discover", "--plain-http", "--format", "json", ref).Output()
	if err != nil {
		t.Fatalf("oras discover: %v", err)
	}
	var d struct {
		Referrers []struct {
			ArtifactType string `json:"artifactType"`
		} `json:"referrers"`
		Manifests []struct {
			ArtifactType string `json:"artifactType"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("oras discover output: %v\n%s", err, b)
	}
	var types []string
	for _, r := range append(d.Referrers, d.Manifests...) {
		types = append(types, r.ArtifactType)
	}
	sort.Strings(types)
	if strings.Join(types, ",") != specv1.ArtifactTypeLicenseReport+","+mlbom.MediaType+","+specv1.ArtifactTypeProvenance {
		t.Errorf("oras discover lists %v\n%s", types, b)
	}
}
