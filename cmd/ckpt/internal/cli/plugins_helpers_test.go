package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// builtBinaries are the real executables the plugin tests run: the ckpt
// binary itself, the example external plugin and the host's test plugin, each built once per test
// process (lazily, so that other tests do not pay for them).
type builtBinaries struct{ ckpt, sha256sums, table, testplug string }

var (
	binOnce sync.Once
	binSet  builtBinaries
	binErr  error
)

func binaries(t testing.TB) builtBinaries {
	t.Helper()
	binOnce.Do(func() {
		// One fixed folder per checkout, rebuilt (incrementally) by every
		// test process and written by rename, so that nothing accumulates in
		// the temp folder and two checkouts never run each other's ckpt.
		wd, _ := os.Getwd()
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("ckpt-cli-test-bins-%d-%x", os.Getuid(), sha256.Sum256([]byte(wd))))
		if binErr = os.MkdirAll(dir, 0o755); binErr != nil {
			return
		}
		binSet = builtBinaries{ckpt: filepath.Join(dir, "ckpt"), sha256sums: filepath.Join(dir, "ckpt-plugin-sha256sums"),
			table: filepath.Join(dir, "ckpt-plugin-table"), testplug: filepath.Join(dir, "testplug")}
		for out, pkg := range map[string]string{
			binSet.ckpt:       "github.com/ckpt-dev/ckpt/cmd/ckpt",
			binSet.sha256sums: "github.com/ckpt-dev/ckpt/examples/plugins/sha256sums",
			binSet.table:      "github.com/ckpt-dev/ckpt/examples/plugins/table",
			binSet.testplug:   "github.com/ckpt-dev/ckpt/plugins/host/testdata/testplug",
		} {
			tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
			if b, err := exec.Command("go", "build", "-o", tmp, pkg).CombinedOutput(); err != nil {
				binErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
			if binErr = os.Rename(tmp, out); binErr != nil {
				return
			}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binSet
}

// ckptRun runs one ckpt command line in process and returns its exit code
// and output.
func ckptRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), &IO{In: bytes.NewReader(nil), Out: &out, Err: &errb}, args)
	return code, out.String(), errb.String()
}

// copyFile copies src to dst with mode.
func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

// exampleProject copies the sha256sums example spec and a freshly built
// plugin binary into a temporary project folder.
func exampleProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "xdg"))
	copyFile(t, filepath.Join("..", "..", "..", "..", "examples", "plugins", "sha256sums", "example.ckpt.hcl"),
		filepath.Join(dir, "example.ckpt.hcl"), 0o644)
	copyFile(t, binaries(t).sha256sums, filepath.Join(dir, "bin", "ckpt-plugin-sha256sums"), 0o755)
	if err := os.MkdirAll(filepath.Join(dir, "model"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
