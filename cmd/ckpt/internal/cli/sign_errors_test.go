package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSignErrors(t *testing.T) {
	key, _ := writeKeyPair(t, t.TempDir(), "cosign")
	layout := pushModctlBundle(t, apacheText(t), "Apache-2.0")
	t.Setenv("CKPT_TEST_WRONG_PASSWORD", "not-the-password")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no key", []string{"sign", layout}, 2, "sign requires --key"},
		{"password unset", []string{"sign", layout, "--key", key, "--password-env", "CKPT_TEST_NO_SUCH_VARIABLE"}, 1,
			"$CKPT_TEST_NO_SUCH_VARIABLE, which is not set"},
		{"wrong password", []string{"sign", layout, "--key", key, "--password-env", "CKPT_TEST_WRONG_PASSWORD"}, 1, "cannot decrypt it"},
		{"missing key", []string{"sign", layout, "--key", filepath.Join(t.TempDir(), "none.key"), "--password-env", "CKPT_TEST_WRONG_PASSWORD"}, 1, "none.key"},
		{"bad reference", []string{"sign", "UPPER/case:x:y", "--key", key}, 2, "reference"},
		{"audit with a missing public key", []string{"audit", "--key", filepath.Join(t.TempDir(), "none.pub"), layout}, 2, "none.pub"},
		{"audit with a private key", []string{"audit", "--key", key, layout}, 2, "public key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, want %d with %q\n%s%s", code, c.code, c.want, out, errOut)
			}
			if strings.Contains(out+errOut, "not-the-password") {
				t.Errorf("the password is shown:\n%s%s", out, errOut)
			}
		})
	}
}

// TestAuditKeyUnsigned: with --key an unsigned bundle fails, naming why,
// whatever its texts and metadata say.
func TestAuditKeyUnsigned(t *testing.T) {
	_, pub := writeKeyPair(t, t.TempDir(), "cosign")
	code, out, _ := runCLI(t, "audit", "--key", pub, pushModctlBundle(t, apacheText(t), "Apache-2.0"))
	if code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(out, "not signed: no sha256-") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
