package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CosignCLI runs the real cosign (Cosign) offline: its HOME and TUF root
// under a folder of the test's, the key password in COSIGN_PASSWORD. All
// it prints is kept in a log, for the tests' secret checks.
type CosignCLI struct {
	t   testing.TB
	bin string
	env []string
	dir string
	log *bytes.Buffer
}

// NewCosignCLI returns a cosign runner working in dir that appends
// everything cosign prints to log.
func NewCosignCLI(t testing.TB, dir, password string, log *bytes.Buffer) *CosignCLI {
	t.Helper()
	home := filepath.Join(dir, "cosign-home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+home, "TUF_ROOT="+filepath.Join(home, "tuf"), "COSIGN_PASSWORD="+password,
		"COSIGN_EXPERIMENTAL=0", "SIGSTORE_NO_CACHE=true")
	return &CosignCLI{t: t, bin: Cosign(t), env: env, dir: dir, log: log}
}

// Dir is the folder cosign runs in (where generate-key-pair writes).
func (c *CosignCLI) Dir() string { return c.dir }

// Run runs cosign with args and returns its output and exit error.
func (c *CosignCLI) Run(args ...string) (string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	out, err := cmd.CombinedOutput()
	fmt.Fprintf(c.log, "$ cosign %s\n%s\n", strings.Join(args, " "), out)
	return string(out), err
}

// Accepts fails the test unless cosign succeeds on what.
func (c *CosignCLI) Accepts(what string, args ...string) {
	c.t.Helper()
	if out, err := c.Run(args...); err != nil {
		c.t.Fatalf("cosign refused %s: %v\n%s", what, err, out)
	}
}

// Refuses fails the test unless cosign fails on what, for the reason its
// output names.
func (c *CosignCLI) Refuses(what, reason string, args ...string) {
	c.t.Helper()
	out, err := c.Run(args...)
	if err == nil {
		c.t.Fatalf("cosign accepted %s:\n%s", what, out)
	}
	if !strings.Contains(out, reason) {
		c.t.Fatalf("cosign refused %s, but not because %q:\n%s", what, reason, out)
	}
}

// CosignVerify is cosign's arguments to verify ref's signature with the
// public key pub, offline, on a plain-HTTP registry.
func CosignVerify(pub, ref string) []string {
	return []string{"verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", ref}
}

// CosignVerifyAttestation is CosignVerify for ref's SLSA provenance
// attestation.
func CosignVerifyAttestation(pub, ref string) []string {
	return []string{"verify-attestation", "--key", pub, "--type", "slsaprovenance1", "--insecure-ignore-tlog", "--allow-insecure-registry", ref}
}
