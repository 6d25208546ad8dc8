package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// CosignVersion is the cosign release that judges ckpt's signatures.
const CosignVersion = "v2.6.5"

// cosignModule is what `go install` builds cosign from.
const cosignModule = "github.com/sigstore/cosign/v2/cmd/cosign@" + CosignVersion

// CacheBin is the folder CI keeps the tools it builds in: CacheRoot()/bin.
func CacheBin() string { return filepath.Join(CacheRoot(), "bin") }

// CacheRoot is where CI keeps what it installs between runs:
// $CKPT_CI_CACHE, else ~/.cache/ckpt-ci.
func CacheRoot() string {
	if d := os.Getenv("CKPT_CI_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "ckpt-ci")
	}
	return filepath.Join(home, ".cache", "ckpt-ci")
}

// Cosign returns the path of cosign CosignVersion: the one on PATH if it
// is that version, else the one in CacheBin. Under CI (CI set) an absent
// cosign is built into CacheBin from the Go module proxy (about 3 minutes,
// once: later runs reuse it; concurrent test binaries wait on a lock);
// elsewhere the test is skipped.
func Cosign(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("cosign"); err == nil && cosignIs(p) {
		return p
	}
	dir := CacheBin()
	p := filepath.Join(dir, "cosign")
	if cosignIs(p) {
		return p
	}
	if os.Getenv("CI") == "" {
		missing(t, "cosign %s is neither on PATH nor in %s (CI=true builds it: GOFLAGS= GOBIN=%s go install %s)", CosignVersion, dir, dir, cosignModule)
		return ""
	}
	if err := buildCosign(dir); err != nil {
		t.Fatalf("build cosign %s into %s: %v", CosignVersion, dir, err)
	}
	if !cosignIs(p) {
		t.Fatalf("built %s, but it does not report version %s", p, CosignVersion)
	}
	return p
}

// cosignIs reports whether the executable at p is cosign CosignVersion.
func cosignIs(p string) bool {
	if _, err := os.Stat(p); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p, "version", "--json").Output()
	if err != nil {
		return false
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	return json.Unmarshal(out, &v) == nil && v.GitVersion == CosignVersion
}

// buildCosign runs `go install` into dir, one builder at a time.
func buildCosign(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lock := flock.New(filepath.Join(dir, ".cosign.lock"))
	if err := lock.Lock(); err != nil {
		return err
	}
	defer lock.Unlock()
	if cosignIs(filepath.Join(dir, "cosign")) {
		return nil // another test binary built it while we waited
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "install", cosignModule)
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOBIN="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w\n%s", err, out.String())
	}
	return nil
}
