package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const unformatted = "model \"dir\" \"base\" {\n  path = \"./base\"\n  id = \"m\"\n  license=\"MIT\"\n}\n"
const formatted = "model \"dir\" \"base\" {\n  path    = \"./base\"\n  id      = \"m\"\n  license = \"MIT\"\n}\n"

func TestFmtCheckQuickstart(t *testing.T) {
	for _, dir := range []string{quickstart, filepath.Join(filepath.Dir(quickstart), "release")} {
		if code, out, errs := specRun(t, "fmt", "--check", dir); code != 0 || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", dir, code, out, errs)
		}
	}
}

func TestFmtCheck(t *testing.T) {
	dir := specDir(t, map[string]string{"a.ckpt.hcl": unformatted, "b.ckpt.hcl": formatted, "notes.hcl": unformatted})
	a := filepath.Join(dir, "a.ckpt.hcl")
	code, out, _ := specRun(t, "fmt", "--check", dir)
	if code != 1 || out != a+"\n" {
		t.Errorf("--check: exit %d, stdout %q", code, out)
	}
	if b, _ := os.ReadFile(a); string(b) != unformatted {
		t.Error("--check changed the file")
	}
	code, out, _ = specRun(t, "fmt", "--check", "--diff", a)
	wantDiff := "--- " + a + "\n+++ " + a + "\n@@ -1,5 +1,5 @@\n model \"dir\" \"base\" {\n-  path = \"./base\"\n-  id = \"m\"\n-  license=\"MIT\"\n+  path    = \"./base\"\n+  id      = \"m\"\n+  license = \"MIT\"\n }\n"
	if code != 1 || out != a+"\n"+wantDiff {
		t.Errorf("--diff: exit %d, stdout:\n%s\nwant:\n%s", code, out, a+"\n"+wantDiff)
	}
}

func TestFmtWrites(t *testing.T) {
	dir := specDir(t, map[string]string{"a.ckpt.hcl": unformatted})
	a := filepath.Join(dir, "a.ckpt.hcl")
	if err := os.Chmod(a, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := specRun(t, "fmt", dir)
	if code != 0 || out != a+"\n" {
		t.Errorf("fmt: exit %d, stdout %q", code, out)
	}
	b, _ := os.ReadFile(a)
	if string(b) != formatted {
		t.Errorf("formatted file:\n%s", b)
	}
	if st, _ := os.Stat(a); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", st.Mode())
	}
	if code, out, _ := specRun(t, "fmt", "--check", dir); code != 0 || out != "" {
		t.Errorf("second --check: exit %d, stdout %q", code, out)
	}
}

func TestFmtErrors(t *testing.T) {
	dir := specDir(t, map[string]string{"bad.ckpt.hcl": "model \"dir\" \"x\" {\n  id = \n}\n"})
	code, _, errs := specRun(t, "fmt", dir)
	if code != 1 || !strings.Contains(errs, "bad.ckpt.hcl:2:") {
		t.Errorf("syntax error: exit %d, stderr %q", code, errs)
	}
	if code, _, _ := specRun(t, "fmt", filepath.Join(dir, "missing")); code != 1 {
		t.Errorf("missing path: exit %d", code)
	}
	if code, _, _ := specRun(t, "fmt", dir, dir); code != 2 {
		t.Errorf("two paths: exit %d", code)
	}
}
