package cli

import (
	"strings"
	"testing"
)

func TestCopyCLI(t *testing.T) {
	dir := bundleDir(t, "Apache-2.0")
	for _, args := range [][]string{{"copy", "oci:" + dir}, {"copy", "oci:" + dir, "not a ref"}} {
		if code, _, errOut := ckpt(args...); code != 2 {
			t.Errorf("%v: exit %d %s, want a usage error", args, code, errOut)
		}
	}
	dst := t.TempDir()
	code, out, errOut := ckpt("copy", "oci:"+dir+":bundle", "oci:"+dst)
	if code != 0 || !strings.HasPrefix(out, "sha256:") || !strings.Contains(errOut, "4 manifests") {
		t.Fatalf("copy: %d %q %s", code, out, errOut)
	}
	code, _, errOut = ckpt("inspect", "oci:"+dst+":bundle")
	if code != 0 || strings.Contains(errOut, "Warning") {
		t.Errorf("inspect of the copy: %d %s", code, errOut)
	}
	if code, _, errOut := ckpt("copy", "oci:"+t.TempDir()+"/missing", "oci:"+dst); code != 1 || !strings.Contains(errOut, "missing") {
		t.Errorf("copy of a missing layout: %d %s", code, errOut)
	}
}
