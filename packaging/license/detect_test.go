package license

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// testDetector is built once: loading the corpus takes seconds.
var testDetector = sync.OnceValues(NewDetector)

func detector(t *testing.T) *Detector {
	t.Helper()
	d, err := testDetector()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mrlText(t *testing.T) []byte {
	t.Helper()
	b, err := referenceTexts.ReadFile("reference/MRL-0.1.md")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func apacheText(t *testing.T) []byte {
	t.Helper()
	b, ok := Text("Apache-2.0")
	if !ok {
		t.Fatal("no Apache-2.0 text")
	}
	return b
}

// mnplExcerpt is what Mistral AI published of MNPL-0.1 (its title, §3.2 and
// the notice of §2.2), laid out as a LICENSE file would be.
const mnplExcerpt = `# Mistral AI Non-Production License

## 3. Limitations

**3.2. Usage Limitation**

- You shall only use the Mistral Models and Derivatives (whether or not created by Mistral AI) for testing, research, Personal, or evaluation purposes in Non-Production Environments;
- Subject to the foregoing, You shall not supply the Mistral Models or Derivatives in the course of a commercial activity, whether in return for payment or free of charge, in any medium or form, including but not limited to through a hosted or managed service (e.g. SaaS, cloud instances, etc.), or behind a software layer.

You must retain in all copies the following attribution notice within a "Notice" text file: "Licensed by Mistral AI under the Mistral AI Non-Production License".
`

func folder(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func ids(ds []Detection) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.File+"="+d.ID)
	}
	return strings.Join(s, " ")
}

func TestDetectMRLDeclaredApache(t *testing.T) {
	dir := folder(t, map[string][]byte{"LICENSE": mrlText(t), "model.safetensors": []byte("x")})
	ds, err := detector(t).DetectFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].ID != "LicenseRef-MRL-0.1" || ds[0].Confidence < 0.9 {
		t.Fatalf("detections %+v, want LICENSE = LicenseRef-MRL-0.1", ds)
	}
	fs := Mismatch("Apache-2.0", ds)
	if len(fs) != 1 || fs[0].Code != CodeDeclaredMismatch || fs[0].Severity != specv1.SeverityError || fs[0].File != "LICENSE" {
		t.Fatalf("findings %+v", fs)
	}
	for _, want := range []string{"LICENSE", "Apache-2.0", "LicenseRef-MRL-0.1"} {
		if !strings.Contains(fs[0].Message, want) {
			t.Errorf("message %q does not name %s", fs[0].Message, want)
		}
	}
	if fs := Mismatch("LicenseRef-MRL-0.1", ds); len(fs) != 0 {
		t.Fatalf("MRL declared MRL: %+v", fs)
	}
}

func TestDetectMatchingLicensePasses(t *testing.T) {
	readme := []byte("---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# Model\n")
	dir := folder(t, map[string][]byte{"LICENSE": apacheText(t), "README.md": readme, "config.json": []byte("{}")})
	ds, err := detector(t).DetectFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(ds); got != "LICENSE=Apache-2.0 README.md=Apache-2.0" {
		t.Fatalf("detections %s", got)
	}
	if fs := Mismatch("Apache-2.0", ds); len(fs) != 0 {
		t.Fatalf("findings %+v", fs)
	}
}

// TestDetectModctlFolder: a modctl-style bundle carries no license
// metadata, only a LICENSE file; the verdict rests on the text.
func TestDetectModctlFolder(t *testing.T) {
	dir := folder(t, map[string][]byte{"LICENSE": mrlText(t), "tekken.json": []byte("{}"), "consolidated.safetensors": []byte("x")})
	ds, err := DetectFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := Expression(ds); got != "LicenseRef-MRL-0.1" {
		t.Fatalf("Expression = %q (%+v)", got, ds)
	}
	if fs := Mismatch("", ds); len(fs) != 0 {
		t.Fatalf("no declaration, identified text: %+v", fs)
	}
}

func TestDetectFile(t *testing.T) {
	d := detector(t)
	cases := []struct {
		name, file string
		content    []byte
		want       string
	}{
		{"MNPL excerpt is not MRL", "LICENSE.md", []byte(mnplExcerpt), "LICENSE.md=LicenseRef-MNPL-0.1"},
		{"MRL notice", "NOTICE", []byte("Licensed by Mistral AI under the Mistral AI Research License\n"), "NOTICE=LicenseRef-MRL-0.1"},
		{"attribution notice names nothing", "NOTICE", []byte("This product includes software developed by Example Corp.\n"), ""},
		{"card other mrl", "README.md", []byte("---\nlicense: other\nlicense_name: mrl\nlicense_link: https://mistral.ai/licenses/MRL-0.1.md\n---\n"), "README.md=LicenseRef-MRL-0.1"},
		{"card other by link", "README.md", []byte("---\nlicense: other\nlicense_link: https://mistral.ai/licences/MNPL-0.1.md\n---\n"), "README.md=LicenseRef-MNPL-0.1"},
		{"card without front matter", "README.md", []byte("# Model\nlicense: mit\n"), ""},
		{"card other unnamed", "README.md", []byte("---\nlicense: other\n---\n"), "README.md="},
		{"SPDX tag", "COPYING", []byte("SPDX-License-Identifier: MIT\n"), "COPYING=MIT"},
		{"unidentifiable", "LICENSE", []byte("You may do whatever the moon allows on Tuesdays.\n"), "LICENSE="},
		{"ckpt LICENSE", "LICENSE", Files(&specv1.Metadata{ID: "m", License: "Apache-2.0 AND LicenseRef-MRL-0.1"})["LICENSE"],
			"LICENSE=Apache-2.0 LICENSE=LicenseRef-MRL-0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ids(d.DetectFile(c.file, c.content)); got != c.want {
				t.Fatalf("DetectFile = %q, want %q", got, c.want)
			}
		})
	}
}

func TestMismatchFindings(t *testing.T) {
	ds := []Detection{
		{File: "LICENSE", ID: "Apache-2.0", Confidence: 1, How: HowText},
		{File: "NOTICE", ID: "LicenseRef-MRL-0.1", Confidence: 0.625, How: HowNotice},
		{File: "COPYING", How: HowText},
	}
	fs := Mismatch("Apache-2.0", ds)
	if len(fs) != 2 || fs[0].File != "COPYING" || fs[0].Code != CodeUnidentified || fs[0].Severity != specv1.SeverityWarning ||
		fs[1].File != "NOTICE" || fs[1].Code != CodeDeclaredMismatch {
		t.Fatalf("findings %+v", fs)
	}
	if fs := Mismatch("Apache-2.0 AND LicenseRef-MRL-0.1", ds[:2]); len(fs) != 0 {
		t.Fatalf("both declared: %+v", fs)
	}
	if fs := Mismatch("apache-2.0 OR", ds); len(fs) != 1 || fs[0].Code != CodeInvalid {
		t.Fatalf("broken declaration: %+v", fs)
	}
	if got := Expression(ds); got != "Apache-2.0 AND LicenseRef-MRL-0.1" {
		t.Fatalf("Expression = %q", got)
	}
}

func TestDetectFolderWalk(t *testing.T) {
	dir := folder(t, map[string][]byte{
		"original/LICENSE.txt": apacheText(t),
		".git/LICENSE":         mrlText(t),
		"licenses.json":        []byte("{}"),
		"blobs/mrl":            mrlText(t),
	})
	// A Hugging Face snapshot links its files to blobs.
	if err := os.Symlink(filepath.Join(dir, "blobs", "mrl"), filepath.Join(dir, "LICENSE")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "absent"), filepath.Join(dir, "NOTICE")); err != nil {
		t.Fatal(err)
	}
	ds, err := detector(t).DetectFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(ds); got != "LICENSE=LicenseRef-MRL-0.1 original/LICENSE.txt=Apache-2.0" {
		t.Fatalf("detections %s", got)
	}
	if _, err := detector(t).DetectFolder(filepath.Join(dir, "absent")); err == nil {
		t.Fatal("absent folder accepted")
	}
}

func TestDetectFiles(t *testing.T) {
	ds := detector(t).DetectFiles(map[string][]byte{
		"LICENSE":           mrlText(t),
		"docs/NOTICE":       []byte("Licensed by Mistral AI under the Mistral AI Research License\n"),
		"model.safetensors": []byte("LICENSE Apache"),
	})
	if got := ids(ds); got != "LICENSE=LicenseRef-MRL-0.1 docs/NOTICE=LicenseRef-MRL-0.1" {
		t.Fatalf("DetectFiles = %s", got)
	}
}
