package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
)

// TestAuditAndPullResolveTheSameManifest: a layout reference without a
// tag (a bundle step's output is tagged "bundle", not "latest") names the
// same manifest for audit, pull and inspect.
func TestAuditAndPullResolveTheSameManifest(t *testing.T) {
	ref := "oci:" + bundleDir(t, "Apache-2.0")
	code, out, _ := ckpt("audit", "--json", ref)
	var res []auditResult
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res) != 1 {
		t.Fatalf("audit: exit %d, %v\n%s", code, err, out)
	}
	code, _, errOut := ckpt("pull", ref, t.TempDir())
	m := regexp.MustCompile(`\((sha256:[0-9a-f]{64})\)`).FindStringSubmatch(errOut)
	if code != 0 || m == nil {
		t.Fatalf("pull: exit %d\n%s", code, errOut)
	}
	code, out, _ = ckpt("inspect", "--json", ref)
	var rep struct{ Digest string }
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("inspect: exit %d, %v\n%s", code, err, out)
	}
	if res[0].Digest != m[1] || rep.Digest != m[1] {
		t.Errorf("audit resolved %s, inspect %s, pull %s", res[0].Digest, rep.Digest, m[1])
	}
}

// TestBrokenDockerConfig: push, pull and audit of a registry reference
// fail with an error naming a broken Docker config, never going on
// anonymously.
func TestBrokenDockerConfig(t *testing.T) {
	reg := testenv.NewRegistry(t)
	dir := bundleDir(t, "Apache-2.0")
	ref := reg.Host + "/models/tiny:v1"
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if code, _, errOut := ckpt("push", "--bundle", dir, ref, "--plain-http"); code != 0 {
		t.Fatalf("push without a config: exit %d\n%s", code, errOut)
	}
	cfgDir := t.TempDir()
	cfg := filepath.Join(cfgDir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"credsStore": "ckpt-test-no-such-helper"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", cfgDir)
	for _, args := range [][]string{
		{"push", "--bundle", dir, ref, "--plain-http"},
		{"pull", ref, t.TempDir(), "--plain-http"},
		{"audit", ref, "--plain-http"},
		{"inspect", ref, "--plain-http"},
	} {
		code, out, errOut := ckpt(args...)
		if code == 0 || !strings.Contains(out+errOut, cfg) || !strings.Contains(out+errOut, "docker-credential-ckpt-test-no-such-helper") {
			t.Errorf("%s: exit %d, want an error naming %s and its helper\n%s%s", args[0], code, cfg, out, errOut)
		}
	}
}
