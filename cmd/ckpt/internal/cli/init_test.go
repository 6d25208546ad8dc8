package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/plugins/host"
)

func TestInitInstallsExamplePlugin(t *testing.T) {
	dir := exampleProject(t)
	code, out, errOut := ckptRun(t, "init", dir)
	if code != 0 {
		t.Fatalf("ckpt init: exit %d\n%s%s", code, out, errOut)
	}
	want, _, err := host.FileDigest(binaries(t).sha256sums)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := host.ReadLock(filepath.Join(dir, host.LockFile))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := lock.Get("sha256sums")
	if !ok || p.Digest() != want || p.Version != "0.1.0" || p.Source != "./bin/ckpt-plugin-sha256sums" {
		t.Fatalf("lock entry %+v, want version 0.1.0 and %s", p, want)
	}
	if !strings.Contains(out, "Installed plugin sha256sums 0.1.0 ("+want+")") {
		t.Errorf("output lacks the installed plugin:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".ckpt", "plugins", "ckpt-plugin-sha256sums")); err != nil {
		t.Errorf("plugin not installed: %v", err)
	}
	// The spec now validates: check "sha256sums" resolves to the plugin.
	if code, out, errOut := ckptRun(t, "validate", dir); code != 0 {
		t.Fatalf("ckpt validate after init: exit %d\n%s%s", code, out, errOut)
	}
}

func TestValidateWithoutInitFails(t *testing.T) {
	dir := exampleProject(t)
	code, out, errOut := ckptRun(t, "validate", dir)
	if code == 0 || !strings.Contains(out+errOut, "sha256sums") {
		t.Fatalf("validate before init: exit %d\n%s%s", code, out, errOut)
	}
}

func TestTamperedPluginIsRefusedByValidate(t *testing.T) {
	dir := exampleProject(t)
	if code, out, errOut := ckptRun(t, "init", dir); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	installed := filepath.Join(dir, ".ckpt", "plugins", "ckpt-plugin-sha256sums")
	locked, _, _ := host.FileDigest(installed)
	f, err := os.OpenFile(installed, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("tampered")
	f.Close()
	got, _, _ := host.FileDigest(installed)
	code, out, errOut := ckptRun(t, "validate", dir)
	if code == 0 || !strings.Contains(out+errOut, locked) || !strings.Contains(out+errOut, got) {
		t.Fatalf("validate with a tampered plugin: exit %d, want both digests %s and %s:\n%s%s", code, locked, got, out, errOut)
	}
}

func TestInitErrors(t *testing.T) {
	dir := exampleProject(t)
	os.Remove(filepath.Join(dir, "bin", "ckpt-plugin-sha256sums"))
	code, _, errOut := ckptRun(t, "init", dir)
	if code != 1 || !strings.Contains(errOut, "bin/ckpt-plugin-sha256sums") {
		t.Fatalf("init without the binary: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := ckptRun(t, "init", filepath.Join(dir, "nope")); code == 0 {
		t.Fatalf("init of a missing spec succeeded:\n%s", errOut)
	}
	if code, _, errOut := ckptRun(t, "init", "--push-plugin", "x"); code != 2 || !strings.Contains(errOut, "REF") {
		t.Fatalf("push without REF: exit %d\n%s", code, errOut)
	}
	if code, _, _ := ckptRun(t, "init", "a", "b"); code != 2 {
		t.Fatalf("two paths: exit %d, want 2", code)
	}
}

func TestInitFromRegistry(t *testing.T) {
	reg := testenv.NewRegistry(t)
	ref := reg.Host + "/ckpt-plugins/sha256sums"
	code, out, errOut := ckptRun(t, "init", "--plain-http", "--push-plugin", binaries(t).sha256sums, ref+":0.1.0")
	if code != 0 || !strings.Contains(out, "Pushed plugin") {
		t.Fatalf("push: exit %d\n%s%s", code, out, errOut)
	}
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	spec := `ckpt {
  required_plugins {
    sha256sums = { source = "` + ref + `", version = "0.1.0" }
  }
}
`
	os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(spec), 0o644)
	if code, out, errOut := ckptRun(t, "init", "--plain-http", dir); code != 0 {
		t.Fatalf("init from %s: exit %d\n%s%s", ref, code, out, errOut)
	}
	want, _, _ := host.FileDigest(binaries(t).sha256sums)
	lock, _ := host.ReadLock(filepath.Join(dir, host.LockFile))
	if p, _ := lock.Get("sha256sums"); p.Digest() != want || p.Source != ref {
		t.Fatalf("lock entry %+v, want %s", p, want)
	}
}
