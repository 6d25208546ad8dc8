// Package testenv gives tests the real tools and servers they check ckpt's
// output with: a registry embedded in the test process, Debian's
// docker-registry, the oras CLI, /usr/bin/python3 with numpy and Jinja2.
//
// A missing tool skips the test on a developer's machine; under CI
// (CI=true, as .ci/run runs) it fails the test instead, so that nothing is
// silently left unchecked.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Python is the interpreter that owns Debian's python3-numpy and python3-jinja2.
const Python = "/usr/bin/python3"

// missing skips, or under CI fails, a test that lacks a tool.
func missing(t testing.TB, format string, a ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("required by CI: "+format, a...)
	}
	t.Skipf("skipped: "+format, a...)
}

// RequirePython skips or fails unless /usr/bin/python3 imports every module.
func RequirePython(t testing.TB, modules ...string) string {
	t.Helper()
	for _, m := range modules {
		if err := exec.Command(Python, "-c", "import "+m).Run(); err != nil {
			missing(t, "%s cannot import %s (apt-get install python3-%s)", Python, m, m)
		}
	}
	return Python
}

// RequireTool returns the path of an executable on PATH (or in
// $(go env GOPATH)/bin), skipping or failing when it is absent.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := home + "/go/bin/" + name
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	missing(t, "%s is not installed", name)
	return ""
}

// ExternalRegistry returns host:port of the plain-HTTP registry that .ci/run
// starts (CKPT_TEST_REGISTRY, e.g. 127.0.0.1:5000), skipping or failing when
// none is set.
func ExternalRegistry(t testing.TB) string {
	t.Helper()
	r := os.Getenv("CKPT_TEST_REGISTRY")
	if r == "" {
		missing(t, "CKPT_TEST_REGISTRY is not set (bash .ci/run starts docker-registry)")
	}
	return r
}
