package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/cache"
)

// cacheMemos lists the memo entries of the remote cache ref.
func cacheMemos(t *testing.T, ref string) []cache.Memo {
	t.Helper()
	code, out, errOut := ckptProc(t, nil, "cache", "ls", ref, "--plain-http", "--json")
	if code != 0 {
		t.Fatalf("cache ls: exit %d: %s", code, errOut)
	}
	var got struct {
		Memos []cache.Memo `json:"memos"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("cache ls --json: %v\n%s", err, out)
	}
	return got.Memos
}

// lineCount counts the lines of a start log (CKPT_DIAGPLUG_STARTS).
func lineCount(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

// freshRunner copies project a to a new folder and installs its locked
// plugins there, as a CI runner does (ckpt init).
func freshRunner(t *testing.T, a string) string {
	t.Helper()
	b := copyProject(t, a)
	if code, out, errOut := ckptRun(t, "init", b); code != 0 {
		t.Fatalf("init %s: exit %d\n%s%s", b, code, out, errOut)
	}
	return b
}

// TestRemoteMemoExternalPlugin checks that an external plugin's
// description and validations go through the remote cache: runner B (a
// fresh copy) starts neither diagplug nor the built-in plugin and still
// shows the warning its Validate gave A; a runner whose diagplug is
// another binary uses none of its memos (their keys hold the digest).
func TestRemoteMemoExternalPlugin(t *testing.T) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	ref := reg.Host + "/ci/ckpt-cache"
	a := pluginProject(t, "diag", "1.0.0", diagplug(t), diagChain("warning"))
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_DIAGPLUG_STARTS", starts)
	if _, _, plugs := buildStarts(t, a, "--cache", ref); len(plugs) == 0 || lineCount(starts) == 0 {
		t.Fatalf("runner A started plugins %v, diagplug %d times", plugs, lineCount(starts))
	}
	kinds := map[string]int{}
	for _, m := range cacheMemos(t, ref) {
		kinds[m.Plugin.Name+" "+m.Kind]++
	}
	if kinds["diag describe"] != 1 || kinds["diag validate"] == 0 || kinds["builtin describe"] != 1 {
		t.Errorf("memo entries by plugin and kind: %v", kinds)
	}
	b := freshRunner(t, a)
	before := lineCount(starts)
	code, out, errOut := ckptProc(t, []string{EnvLog + "=debug"}, "build", b, "--json", "--plain-http", "--cache", ref)
	if code != 0 {
		t.Fatalf("runner B: exit %d\n%s", code, errOut)
	}
	if plugs := pluginStarts(errOut); len(plugs) != 0 || lineCount(starts) != before {
		t.Errorf("runner B started plugins %v, diagplug %d times", plugs, lineCount(starts)-before)
	}
	if o := outcomeOf(parseEvents(t, out)); len(o.started) != 0 {
		t.Errorf("runner B ran %v", o.started)
	}
	checkLines(t, errOut, filepath.Join(b, "main.ckpt.hcl"), []string{`:13:12: warning: refused check.a`})

	// Runner C's diagplug is another build (stripped): another digest.
	c := copyProject(t, a)
	other := filepath.Join(t.TempDir(), "ckpt-plugin-diag")
	if o, err := exec.Command("go", "build", "-ldflags=-s -w", "-o", other, "./testdata/diagplug").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, o)
	}
	copyFile(t, other, filepath.Join(c, "bin", "ckpt-plugin-diag"), 0o755)
	if err := os.Remove(filepath.Join(c, ".ckpt.lock.hcl")); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := ckptRun(t, "init", c); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	before = lineCount(starts)
	if _, _, plugs := buildStarts(t, c, "--cache", ref); len(plugs) != 1 || plugs[0] != "diag" || lineCount(starts) == before {
		t.Errorf("runner C (another diagplug binary) started plugins %v, want diag alone", plugs)
	}
}

// TestRemoteMemoSensitiveNotPublished checks that the validation of a
// step whose config holds a sensitive value is not written to the remote
// cache (its tag would hash the secret), and that nothing there holds it.
func TestRemoteMemoSensitiveNotPublished(t *testing.T) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	ref := reg.Host + "/ci/ckpt-cache"
	const secret = "s3cr3t-memo-token"
	t.Setenv("CKPT_VAR_token", secret)
	a := pluginProject(t, "diag", "1.0.0", diagplug(t), `variable "token" {
  sensitive = true
}

check "diag" "open" {
  note = "public"
}

check "diag" "secret" {
  note = var.token
}
`)
	buildStarts(t, a, "--cache", ref)
	validations := 0
	for _, m := range cacheMemos(t, ref) {
		if m.Kind == "validate" {
			validations++
		}
	}
	if validations != 1 { // check.open's (the same request at load and before its run), not check.secret's
		t.Errorf("%d validate memo entries, want 1 (check.open's)", validations)
	}
	code, out, _ := ckptProc(t, nil, "cache", "ls", ref, "--plain-http", "--json")
	if code != 0 || strings.Contains(out, secret) {
		t.Errorf("cache ls: exit %d, holds the secret:\n%s", code, out)
	}
	// Runner B starts diagplug for check.secret's validation only.
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_DIAGPLUG_STARTS", starts)
	if _, _, plugs := buildStarts(t, freshRunner(t, a), "--cache", ref); len(plugs) != 1 || plugs[0] != "diag" {
		t.Errorf("runner B started %v, want diag (for the sensitive step's validation)", plugs)
	}
}

// TestRemoteMemoReadOnly checks that a read-only runner writes no memo
// and still uses the memos there.
func TestRemoteMemoReadOnly(t *testing.T) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	proxy := testenv.StartProxy(t, reg.Host)
	ref := proxy.Host + "/ci/ckpt-cache"
	a := fleetProject(t, "", "")
	buildStarts(t, a, "--cache", ref, "--cache-readonly")
	if n := proxy.Writes(); n != 0 || len(cacheMemos(t, ref)) != 0 {
		t.Errorf("a read-only build sent %d writing requests, left %d memos", n, len(cacheMemos(t, ref)))
	}
	buildStarts(t, copyProject(t, a), "--cache", ref)
	proxy.Reset()
	if _, _, plugs := buildStarts(t, copyProject(t, a), "--cache", ref, "--cache-readonly"); len(plugs) != 0 || proxy.Writes() != 0 {
		t.Errorf("read-only runner after a writer: started %v, sent %d writes", plugs, proxy.Writes())
	}
}
