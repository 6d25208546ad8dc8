package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
)

// licenseSpec is a release of a synthesized model declared Apache-2.0:
// the license gate, a ModelPack bundle and push, whose extra attributes
// pushAttrs holds.
const licenseSpec = `
model "dir" "base" {
  path    = "./base"
  id      = "support-7b"
  license = "Apache-2.0"
}

check "license" "release" {
  target       = model.base
  use          = "commercial"
  redistribute = true
}

bundle "modelpack" "release" {
  from = model.base
  name = "support"
}

push "%s" "release" {
  bundle = bundle.release
%s
}
`

// licenseProject writes licenseSpec with a synthesized base model whose
// LICENSE is text, and returns the folder.
func licenseProject(t *testing.T, text []byte, pushType, pushAttrs string) string {
	t.Helper()
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	if b, err := exec.Command(binaries(t).ckpt, "synth", "model", base, "--layout", "native", "--seed", "1").CombinedOutput(); err != nil {
		t.Fatalf("ckpt synth model: %v\n%s", err, b)
	}
	if err := os.WriteFile(filepath.Join(base, "LICENSE"), text, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := strings.Replace(strings.Replace(licenseSpec, "%s", pushType, 1), "%s", pushAttrs, 1)
	if err := os.WriteFile(filepath.Join(dir, "release.ckpt.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func apacheText(t *testing.T) []byte {
	t.Helper()
	b, ok := lic.Text("Apache-2.0")
	if !ok {
		t.Fatal("no Apache-2.0 text")
	}
	return b
}

func mrlText(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "packaging", "license", "reference", "MRL-0.1.md"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBuildRefusesLicenseTextMismatch: ckpt build of a model declared
// Apache-2.0 whose LICENSE is the Mistral AI Research License stops at
// the license gate, naming the file, the declared and the detected
// license, and bundles nothing; with the Apache text it builds, and the
// bundle's license report records what the text is.
func TestBuildRefusesLicenseTextMismatch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ckpt build")
	}
	dir := licenseProject(t, mrlText(t), "layout", `  path = "./out"`)
	code, out, errOut := ckptProc(t, nil, "build", dir)
	all := out + errOut
	if code == 0 {
		t.Fatalf("ckpt build passed a model whose LICENSE contradicts its declaration:\n%s", all)
	}
	for _, want := range []string{"LICENSE is Mistral AI Research License", "LicenseRef-MRL-0.1",
		"the declared license is Apache-2.0", lic.CodeDeclaredMismatch} {
		if !strings.Contains(all, want) {
			t.Errorf("ckpt build output lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "bundle support:") {
		t.Errorf("the bundle ran after a failed license gate:\n%s", all)
	}

	dir = licenseProject(t, apacheText(t), "layout", `  path = "./out"`+"\n  tag = \"v1\"")
	if code, out, errOut := ckptProc(t, nil, "push", dir); code != 0 {
		t.Fatalf("ckpt push with a matching LICENSE: exit %d\n%s\n%s", code, out, errOut)
	}
	rep := layoutLicenseReport(t, filepath.Join(dir, "out"), "v1")
	if rep.License != "Apache-2.0" || len(rep.Texts) != 1 || rep.Texts[0].File != "LICENSE" || rep.Texts[0].ID != "Apache-2.0" {
		t.Errorf("the bundle's license report: license %q, texts %+v", rep.License, rep.Texts)
	}
}
