package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/ollama"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// ggufReadSpec bundles the merge's Q8_0 GGUF for Ollama and Docker Model
// Runner and pushes both to host.
func ggufReadSpec(host string) string {
	return ggufSpec + fmt.Sprintf(`
bundle "ollama" "ollama" {
  from = export.release
  name = "support-assistant"
  type = "q8_0"
}

bundle "docker-model" "docker" {
  from = export.release
  name = "support-assistant"
  type = "q8_0"
}

push "registry" "ollama" {
  bundle     = bundle.ollama
  ref        = "%[1]s/ckpt/ollama:v1"
  plain_http = true
}

push "registry" "docker" {
  bundle     = bundle.docker
  ref        = "%[1]s/ckpt/docker:v1"
  plain_http = true
}
`, host)
}

// pushGGUFBundles builds and pushes ggufReadSpec with the base model
// under license and returns the project folder.
func pushGGUFBundles(t *testing.T, host, license string) string {
	t.Helper()
	spec := strings.Replace(ggufReadSpec(host), `license = "Apache-2.0"`, `license = "`+license+`"`, 1)
	dir := ggufProject(t, spec)
	if code, out, errOut := ckptProc(t, nil, "push", dir); code != 0 {
		t.Fatalf("ckpt push: exit %d\n%s%s", code, out, errOut)
	}
	return dir
}

// inspectJSON runs ckpt inspect --json on ref.
func inspectJSON(t *testing.T, ref string) remote.Report {
	t.Helper()
	code, out, errOut := ckptRun(t, "inspect", ref, "--plain-http", "--json")
	var r remote.Report
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("ckpt inspect %s: exit %d\n%s%s", ref, code, out, errOut)
	}
	return r
}

// TestGGUFBundlesRead: ckpt inspect, pull and audit read the Ollama and
// Docker Model Runner bundles ckpt pushed, from a registry and from the
// bundle's OCI layout.
func TestGGUFBundlesRead(t *testing.T) {
	reg := testenv.NewRegistry(t)
	dir := pushGGUFBundles(t, reg.Host, "Apache-2.0")
	model, err := os.ReadFile(filepath.Join(exportDir(t, dir, "export.release"), "support-assistant-Q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.ReadFile(filepath.Join(exportDir(t, dir, "export.release"), "support-assistant-Q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	chat, _ := f.Get("tokenizer.chat_template")
	layout := exportDir(t, dir, "bundle.ollama")
	tl, _ := layoutManifest(t, layout).Layer(ollama.MediaTypeTemplate)
	tmpl, err := os.ReadFile(filepath.Join(layout, "blobs", "sha256", tl.Digest.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		repo, format string
		files        map[string][]byte
	}{
		{"ollama", "ollama", map[string][]byte{"model.gguf": model, "template": tmpl, "params.json": []byte(`{"stop":["[INST]","[/INST]"]}`),
			"LICENSE": nil, "LICENSE-2": nil}},
		{"docker", "docker", map[string][]byte{"support-assistant-Q8_0.gguf": model, "template.jinja": []byte(chat.(string)),
			"LICENSE": nil, "NOTICE": nil}},
	}
	for _, c := range cases {
		ref := reg.Host + "/ckpt/" + c.repo + ":v1"
		r := inspectJSON(t, ref)
		var paths, types []string
		for _, fr := range r.Files {
			paths = append(paths, fr.Path)
		}
		for _, rf := range r.Referrers {
			types = append(types, rf.ArtifactType)
		}
		want := slices.Sorted(maps.Keys(c.files))
		if slices.Sort(paths); r.Format != c.format || r.License != "Apache-2.0" || !slices.Equal(paths, want) || len(r.Lineage) != 2 {
			t.Errorf("%s: format %s, license %q, lineage %v, files %v (want %v)", c.repo, r.Format, r.License, r.Lineage, paths, want)
		}
		for _, at := range []string{specv1.ArtifactTypeLicenseReport, specv1.ArtifactTypeProvenance, "application/vnd.cyclonedx+json"} {
			if !slices.Contains(types, at) {
				t.Errorf("%s: referrers %v lack %s", c.repo, types, at)
			}
		}
		if len(r.Warnings) > 0 || r.LicenseMismatch != "" {
			t.Errorf("%s: warnings %v, mismatch %q", c.repo, r.Warnings, r.LicenseMismatch)
		}
		pulled := filepath.Join(t.TempDir(), c.repo)
		if code, out, errOut := ckptRun(t, "pull", ref, pulled, "--plain-http"); code != 0 {
			t.Fatalf("ckpt pull %s: exit %d\n%s%s", ref, code, out, errOut)
		}
		texts := lic.Files(r.Metadata()) // what the bundle step wrote
		c.files["LICENSE"] = texts["LICENSE"]
		c.files[map[string]string{"ollama": "LICENSE-2", "docker": "NOTICE"}[c.repo]] = texts["NOTICE"]
		for name, src := range c.files {
			got, err := os.ReadFile(filepath.Join(pulled, name))
			if err != nil || len(src) == 0 || !bytes.Equal(got, src) {
				t.Errorf("%s: pulled %s (%d bytes, %v) differs from its source (%d bytes)", c.repo, name, len(got), err, len(src))
			}
		}
		if code, out, errOut := ckptRun(t, "audit", ref, "--plain-http"); code != 0 || !strings.Contains(row(out, ref), " pass") {
			t.Errorf("audit %s: exit %d\n%s%s", ref, code, out, errOut)
		}
	}
	// The same bundle from its OCI layout.
	r := inspectJSON(t, "oci:"+layout+":bundle")
	if r.Format != "ollama" || r.License != "Apache-2.0" || len(r.Files) != 5 || len(r.Referrers) != 3 {
		t.Errorf("layout: format %s, license %q, %d files, %d referrers", r.Format, r.License, len(r.Files), len(r.Referrers))
	}
	pulled := t.TempDir()
	if code, out, errOut := ckptRun(t, "pull", "oci:"+layout+":bundle", pulled); code != 0 {
		t.Fatalf("ckpt pull layout: exit %d\n%s%s", code, out, errOut)
	}
	if got, err := os.ReadFile(filepath.Join(pulled, "model.gguf")); err != nil || !bytes.Equal(got, model) {
		t.Errorf("model.gguf from the layout: %d bytes, %v", len(got), err)
	}
}

// TestGGUFBundlesAuditMRL: bundles of a model under the Mistral Research
// License fail an audit for commercial use and pass one for research.
func TestGGUFBundlesAuditMRL(t *testing.T) {
	reg := testenv.NewRegistry(t)
	pushGGUFBundles(t, reg.Host, "LicenseRef-MRL-0.1")
	refs := []string{reg.Host + "/ckpt/ollama:v1", reg.Host + "/ckpt/docker:v1"}
	commercial := writePolicy(t, "release.hcl", "use = \"commercial\"\nredistribute = true\n")
	code, out, _ := runCLI(t, append([]string{"audit", "--plain-http", "--policy", commercial}, refs...)...)
	if code != 1 {
		t.Errorf("commercial audit: exit %d, want 1\n%s", code, out)
	}
	for _, ref := range refs {
		if r := row(out, ref); !strings.Contains(r, "LicenseRef-MRL-0.1") || !strings.Contains(r, "FAIL") {
			t.Errorf("row of %s: %q\n%s", ref, r, out)
		}
		if !strings.Contains(out, ref+": error: model.base (mistral-7b-instruct-v0.3) is under LicenseRef-MRL-0.1, which forbids commercial use") {
			t.Errorf("%s: no commercial-use error:\n%s", ref, out)
		}
	}
	research := writePolicy(t, "research.json", `{"use": "research", "redistribute": true}`)
	if code, out, _ := runCLI(t, append([]string{"audit", "--plain-http", "--policy", research}, refs...)...); code != 0 {
		t.Errorf("research audit: exit %d\n%s", code, out)
	}
}
