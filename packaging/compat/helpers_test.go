package compat_test

import (
	"os"
	"path/filepath"
	"testing"
)

// fixtures is the shared real-file fixture folder (../shared/fixtures from
// the repository root).
func fixtures(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "..", "shared", "fixtures"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s: %v", p, err)
	}
	return p
}
