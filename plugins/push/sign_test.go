package push

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/sign"
	"github.com/opencontainers/go-digest"
)

const testPassword = "correct horse battery staple"

// writeKey writes a cosign key pair into dir and returns the private
// key's path and the verifier of its public key.
func writeKey(t *testing.T, dir string) (string, *sign.Verifier) {
	t.Helper()
	priv, pub, err := sign.GenerateKey([]byte(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	kp := filepath.Join(dir, "cosign.key")
	if err := os.WriteFile(kp, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := sign.LoadPublicKey("cosign.pub", pub)
	if err != nil {
		t.Fatal(err)
	}
	return kp, v
}

// TestPushSigns: with sign_key, both push types sign the pushed manifest
// and attest the provenance, the license report and the ML-BOM where it
// was pushed, with the key whose password is in the named variable.
func TestPushSigns(t *testing.T) {
	key, v := writeKey(t, t.TempDir())
	t.Setenv("RELEASE_KEY_PASSWORD", testPassword)
	in := bundleOf(t, tinyModel, licensed, nil)
	reg := testenv.NewRegistry(t)
	layout := filepath.Join(t.TempDir(), "oci")
	for typ, cfg := range map[string]map[string]any{
		"registry": {"ref": reg.Host + "/tiny:v1", "plain_http": true},
		"layout":   {"path": layout, "tag": "v1"},
	} {
		cfg["bundle"], cfg["sign_key"], cfg["sign_password_env"] = "bundle.tiny", key, "RELEASE_KEY_PASSWORD"
		m, err := push(t, typ, cfg, in)
		if err != nil {
			t.Fatalf("push %s: %v", typ, err)
		}
		if m.Outputs["signed_by"] != v.KeyID() {
			t.Errorf("push %s: signed_by = %q, want %s", typ, m.Outputs["signed_by"], v.KeyID())
		}
		ref, err := remote.ParseRef(m.Outputs["ref"])
		if err != nil {
			t.Fatal(err)
		}
		tgt, _, err := remote.Open(context.Background(), ref, remote.Options{PlainHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := sign.Verify(context.Background(), tgt, digest.Digest(m.Outputs["digest"]), v, sign.VerifyOptions{
			Require: []string{sign.PredicateSLSAProvenance, sign.PredicateLicenseReport, sign.PredicateCycloneDX}})
		if err != nil {
			t.Fatalf("push %s: %v", typ, err)
		}
		if got.Signatures != 1 {
			t.Errorf("push %s: %d signatures", typ, got.Signatures)
		}
	}
}

func TestPushSignErrors(t *testing.T) {
	key, _ := writeKey(t, t.TempDir())
	in := bundleOf(t, tinyModel, licensed, nil)
	layout := filepath.Join(t.TempDir(), "oci")
	cases := []struct {
		name, env, password, key, want string
	}{
		{"password variable unset", "CKPT_TEST_UNSET_PASSWORD", "", key, "$CKPT_TEST_UNSET_PASSWORD, which is not set"},
		{"wrong password", "CKPT_TEST_PASSWORD", "hunter2-not-it", key, "cannot decrypt it"},
		{"missing key", "CKPT_TEST_PASSWORD", testPassword, filepath.Join(t.TempDir(), "none.key"), "none.key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.password != "" {
				t.Setenv(c.env, c.password)
			}
			_, err := push(t, "layout", map[string]any{"bundle": "bundle.tiny", "path": layout,
				"sign_key": c.key, "sign_password_env": c.env}, in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), testPassword) || c.password != "" && strings.Contains(err.Error(), c.password) {
				t.Errorf("the error shows the password: %v", err)
			}
			if _, statErr := os.Stat(layout); statErr == nil {
				t.Errorf("pushed although the key cannot sign")
			}
		})
	}
}
