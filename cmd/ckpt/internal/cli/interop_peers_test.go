package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	lic "github.com/ckpt-dev/ckpt/packaging/license"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
)

const peerKitfile = `manifestVersion: "1.0.0"
package:
  name: peer-model
  license: Apache-2.0
model:
  name: peer-model
  path: consolidated.safetensors
  license: Apache-2.0
  parts:
    - path: params.json
    - path: tekken.json
docs:
  - path: LICENSE
  - path: docs/notes.md
`

// peerFolder is the interop model with its LICENSE, as a user would pack it.
func peerFolder(t *testing.T) (string, map[string][]byte) {
	files := interopModel()
	files["LICENSE"] = lic.Files(&interopMeta)["LICENSE"]
	dir := filepath.Join(t.TempDir(), "model")
	writeFiles(t, dir, files)
	return dir, files
}

// A ModelKit made by kit pack and a ModelPack artifact made by modctl
// build from the same folder: ckpt inspects, pulls and audits both.
func TestInteropPeerArtifacts(t *testing.T) {
	reg := testenv.ExternalRegistry(t)
	modctl := testenv.RequirePeer(t, "modctl")
	kit := testenv.RequirePeer(t, "kit")
	repo := interopRepo(reg)
	dir, want := peerFolder(t)

	kitRef := repo + "/kit:v1"
	kitfile := filepath.Join(t.TempDir(), "Kitfile")
	os.WriteFile(kitfile, []byte(peerKitfile), 0o644)
	env := []string{"KITOPS_HOME=" + t.TempDir()}
	if out, err := tool(env, kit, "pack", dir, "-f", kitfile, "-t", kitRef); err != nil {
		t.Fatalf("kit pack: %v\n%s", err, out)
	}
	if out, err := tool(env, kit, "push", "--plain-http", kitRef); err != nil {
		t.Fatalf("kit push: %v\n%s", err, out)
	}

	mcRef := repo + "/modctl:v1"
	store, mf := t.TempDir(), t.TempDir()
	if out, err := tool(nil, modctl, "modelfile", "generate", dir, "-O", mf, "--name", "peer-model", "--family", "mistral"); err != nil {
		t.Fatalf("modctl modelfile generate: %v\n%s", err, out)
	}
	if out, err := tool(nil, modctl, "build", "--storage-dir", store, "--log-dir", store, "--no-progress", "--plain-http", "--output-remote",
		"-t", mcRef, "-f", filepath.Join(mf, "Modelfile"), dir); err != nil {
		t.Fatalf("modctl build: %v\n%s", err, out)
	}

	for ref, format := range map[string]string{kitRef: "kitops", mcRef: "modelpack"} {
		code, out, errOut := ckpt("inspect", ref, "--plain-http", "--json")
		var rep ckptremote.Report
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Format != format {
			t.Fatalf("inspect %s: %d %s %s", ref, code, rep.Format, errOut)
		}
		for _, f := range rep.Files {
			if _, ok := want[f.Path]; !ok {
				t.Errorf("inspect %s: layer %s (%s) is not named as a file of the folder", ref, f.Digest, f.Path)
			}
		}
		if len(rep.Files) != len(want) {
			t.Errorf("inspect %s: %d layers, %d files", ref, len(rep.Files), len(want))
		}
		pulled := t.TempDir()
		if code, _, errOut := ckpt("pull", ref, pulled, "--plain-http"); code != 0 {
			t.Fatalf("ckpt pull %s: %s", ref, errOut)
		}
		checkWritten(t, "ckpt pull "+format, pulled, want, true)
		code, out, errOut = ckpt("audit", "--plain-http", "--json", ref)
		t.Logf("ckpt audit of %s's artifact: exit %d: %s %s", format, code, strings.TrimSpace(out), strings.TrimSpace(errOut))
		if format == "kitops" && (code != 0 || !strings.Contains(out, "Apache-2.0")) {
			t.Errorf("audit of the ModelKit (Kitfile license Apache-2.0): exit %d %s", code, out)
		}
	}
}

// ckpt copy between two repositories keeps every referrer, recursively:
// oras discover on the copy lists them, and an audit of the copy passes.
func TestInteropCopyKeepsReferrers(t *testing.T) {
	reg := testenv.ExternalRegistry(t)
	oras := testenv.RequireTool(t, "oras")
	repo := interopRepo(reg)
	layout, _ := buildVariant(t, interopVariants[4]) // the adapter, with its base as subject
	src, dst := repo+"/src:v1", repo+"/mirror:v1"
	if code, out, errOut := ckpt("push", "--bundle", layout, src, "--plain-http"); code != 0 {
		t.Fatalf("push: %s %s", out, errOut)
	}
	sig := filepath.Join(t.TempDir(), "sig.json")
	os.WriteFile(sig, []byte(`{"signature":"test"}`), 0o644)
	code, out, _ := ckpt("inspect", src, "--plain-http", "--json")
	var rep ckptremote.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Referrers) != 3 {
		t.Fatalf("inspect %s: %s", src, out)
	}
	// A signature of the bundle and one of its license report (a referrer of a referrer).
	for _, subject := range []string{src, repo + "/src@" + rep.Referrers[0].Digest} {
		if out, err := tool(nil, oras, "attach", "--plain-http", "--disable-path-validation", "--artifact-type", "application/vnd.dev.cosign.artifact.sig.v1+json",
			subject, sig+":application/json"); err != nil {
			t.Fatalf("oras attach: %v\n%s", err, out)
		}
	}
	srcTree, _ := tool(nil, oras, "discover", "--plain-http", "--format", "json", src)
	code, out, errOut := ckpt("copy", src, dst, "--plain-http")
	if code != 0 || strings.TrimSpace(out) != rep.Digest || !strings.Contains(errOut, "7 manifests") { // bundle, base, license report, provenance, ML-BOM, 2 signatures
		t.Fatalf("copy: %d %q %s", code, out, errOut)
	}
	dstTree, err := tool(nil, oras, "discover", "--plain-http", "--format", "json", dst)
	if err != nil {
		t.Fatalf("oras discover: %v\n%s", err, dstTree)
	}
	if n := strings.Count(dstTree, `"artifactType"`); n != 5 || n != strings.Count(srcTree, `"artifactType"`) {
		t.Errorf("oras discover on the copy: %d referrers, want 5 (license report, provenance, ML-BOM, 2 signatures):\n%s", n, dstTree)
	}
	for _, rf := range rep.Referrers {
		if !strings.Contains(dstTree, rf.Digest) {
			t.Errorf("copy lacks referrer %s (%s)", rf.Digest, rf.ArtifactType)
		}
	}
	if code, _, errOut := ckpt("inspect", repo+"/mirror@"+rep.Subject, "--plain-http"); code != 0 {
		t.Errorf("the subject (base model) was not copied: %s", errOut)
	}
	if code, out, errOut := ckpt("audit", "--plain-http", dst); code != 0 {
		t.Errorf("audit of the copy: %d %s %s", code, out, errOut)
	}
	code, _, errOut = ckpt("copy", src, dst, "--plain-http")
	if code != 0 || !strings.Contains(errOut, "already there") {
		t.Errorf("second copy: %d %s", code, errOut)
	}
	layoutDir := t.TempDir()
	if code, _, errOut := ckpt("copy", dst, "oci:"+layoutDir+":v1", "--plain-http"); code != 0 {
		t.Fatalf("copy to a layout: %s", errOut)
	}
	code, out, _ = ckpt("inspect", "oci:"+layoutDir+":v1", "--json")
	var lrep ckptremote.Report
	if code != 0 || json.Unmarshal([]byte(out), &lrep) != nil || len(lrep.Referrers) != 4 || len(lrep.Warnings) != 0 {
		t.Errorf("layout copy: %d referrers (want license report, provenance, ML-BOM, signature), warnings %v", len(lrep.Referrers), lrep.Warnings)
	}
}
