package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequirePeer returns the path of a peer CLI built from the sources in
// ../shared/peers (relative to the repository root, or $CKPT_PEERS):
// "modctl" or "kit". Binaries live in $CKPT_CI_CACHE, else
// ~/.cache/ckpt-ci/bin. Under CI a missing binary is built there with the
// peers' install.sh (a few minutes the first time); elsewhere it skips.
func RequirePeer(t testing.TB, name string) string {
	t.Helper()
	dir := CacheBin()
	bin := filepath.Join(dir, name)
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if os.Getenv("CI") == "" {
		missing(t, "%s is not built (run %s %s)", bin, filepath.Join(peerSources(), "install.sh"), dir)
	}
	cmd := exec.Command("bash", filepath.Join(peerSources(), "install.sh"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return bin
}

// peerSources is $CKPT_PEERS, else ../shared/peers beside the repository
// root (the folder holding go.mod above the working directory).
func peerSources() string {
	if d := os.Getenv("CKPT_PEERS"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return "../shared/peers"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "peers")
		}
		if filepath.Dir(d) == d {
			return "../shared/peers"
		}
	}
}
