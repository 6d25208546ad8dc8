package host_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
)

// TestRunIsConfined: where Landlock is available, a step that writes
// outside its output and scratch folders fails with EACCES and leaves
// nothing there; with CKPT_PLUGIN_CONFINE=off the same write succeeds.
func TestRunIsConfined(t *testing.T) {
	if c := sdk.Confinement(); strings.HasPrefix(c, "none") {
		lsm, err := os.ReadFile("/sys/kernel/security/lsm")
		t.Skipf("steps are not confined here (%s; /sys/kernel/security/lsm: %q %v)", c, lsm, err)
	}
	dir := project(t, "testplug")
	req := request(t, "escape")
	escaped := filepath.Join(filepath.Dir(req.OutputDir), "escaped")
	h := newHost(t, dir)
	_, err := h.Execute(ctx(t), "testplug", req, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "write outside") || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("err = %v, want EACCES (permission denied)", err)
	}
	if _, err := os.Stat(escaped); err == nil {
		t.Fatalf("the confined step wrote %s", escaped)
	}
	// The same process runs the next step confined to that step's folders.
	ok := request(t, "ok")
	if _, err := h.Execute(ctx(t), "testplug", ok, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ok.OutputDir, "out.txt")); err != nil {
		t.Fatal(err)
	}
	t.Setenv(sdk.ConfineEnv, "off")
	req = request(t, "escape")
	if _, err := newHost(t, dir).Execute(ctx(t), "testplug", req, &recorder{}); err != nil {
		t.Fatalf("unconfined: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(req.OutputDir), "escaped")); err != nil {
		t.Fatalf("unconfined write: %v", err)
	}
}
