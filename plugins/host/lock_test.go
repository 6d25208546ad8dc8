package host_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/host"
)

const sum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestLockRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), host.LockFile)
	l := &host.Lock{}
	l.Set(host.LockedPlugin{Name: "zeta", Source: "./bin/z", Version: "2.0.0", Hashes: map[string]string{"linux/amd64": sum}})
	l.Set(host.LockedPlugin{Name: "alpha", Source: "reg.example.com/p/alpha", Version: "1.0.0", Manifest: "sha256:" + sum,
		Hashes: map[string]string{"linux/amd64": "sha256:" + sum, "darwin/arm64": "sha256:" + sum}})
	if err := l.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := `# This file is maintained automatically by "ckpt init".
# Commit it: every run refuses a plugin binary whose sha256 differs.

plugin "alpha" {
  source   = "reg.example.com/p/alpha"
  version  = "1.0.0"
  manifest = "sha256:` + sum + `"
  hashes = {
    "darwin/arm64" = "sha256:` + sum + `"
    "linux/amd64"  = "sha256:` + sum + `"
  }
}

plugin "zeta" {
  source  = "./bin/z"
  version = "2.0.0"
  hashes = {
    "linux/amd64" = "sha256:` + sum + `"
  }
}
`
	if string(b) != want {
		t.Errorf("lock file:\n%s\nwant:\n%s", b, want)
	}
	got, err := host.ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := got.Get("alpha"); !ok || p.Hash("darwin/arm64") != "sha256:"+sum || p.Manifest != "sha256:"+sum || p.Version != "1.0.0" {
		t.Errorf("alpha = %+v, %v", p, ok)
	}
}

// TestReadLegacyLock reads a lock written before per-platform hashes: its
// one sha256 pins this platform's binary.
func TestReadLegacyLock(t *testing.T) {
	l, err := host.ParseLock([]byte(`plugin "a" {
  source  = "./bin/a"
  version = "1.0.0"
  sha256  = "`+sum+`"
}
`), "old.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := l.Get("a"); p.Digest() != "sha256:"+sum || len(p.Hashes) != 1 {
		t.Fatalf("legacy entry = %+v", p)
	}
	if !strings.Contains(string(l.Bytes()), `"`+host.HostPlatform()+`" = "sha256:`+sum+`"`) {
		t.Errorf("legacy lock rewritten as:\n%s", l.Bytes())
	}
}

func TestReadLockMissingIsEmpty(t *testing.T) {
	l, err := host.ReadLock(filepath.Join(t.TempDir(), host.LockFile))
	if err != nil || len(l.Plugins) != 0 {
		t.Fatalf("ReadLock = %+v, %v", l, err)
	}
}

func TestParseLockErrors(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"syntax":     {`plugin "a" {`, "lock file"},
		"bad digest": {`plugin "a" { sha256 = "xyz" }`, `plugin "a": sha256 "xyz" of`},
		"bad hash":   {`plugin "a" { hashes = { "linux/amd64" = "sha256:xyz" } }`, `sha256 "sha256:xyz" of linux/amd64 is not`},
		"platform":   {`plugin "a" { hashes = { "linux" = "` + sum + `" } }`, `platform "linux" is not OS/ARCH`},
		"manifest":   {"plugin \"a\" {\nmanifest = \"x\"\nsha256 = \"" + sum + "\"\n}", `manifest "x" is not`},
		"both":       {"plugin \"a\" {\nhashes = {}\nsha256 = \"" + sum + "\"\n}", "both sha256 and hashes"},
		"no digest":  {`plugin "a" { version = "1" }`, "no hashes"},
		"twice":      {`plugin "a" { sha256 = "` + sum + `" }` + "\n" + `plugin "a" { sha256 = "` + sum + `" }`, "locked twice"},
		"unknown":    {`plugins "a" {}`, "Unsupported block type"},
		"traversal":  {`plugin "../../bin/sh" { sha256 = "` + sum + `" }`, "invalid plugin name"},
		"builtin":    {`plugin "builtin" { sha256 = "` + sum + `" }`, "invalid plugin name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := host.ParseLock([]byte(tc.src), "x.hcl")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzParseLock(f *testing.F) {
	f.Add([]byte(`plugin "a" { source = "./x" version = "1" sha256 = "` + sum + `" }`))
	f.Add([]byte("plugin \"a\" {\n sha256 = \"" + sum + "\"\n}\n"))
	f.Add([]byte(`plugin "a" { sha256 = "${x}" }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, err := host.ParseLock(src, "fuzz.hcl")
		if err != nil {
			return
		}
		// What parses renders and parses again to the same entries.
		again, err := host.ParseLock(l.Bytes(), "again.hcl")
		if err != nil {
			t.Fatalf("re-parse of rendered lock: %v\n%s", err, l.Bytes())
		}
		for _, p := range l.Plugins {
			if q, ok := again.Get(p.Name); !ok || fmt.Sprint(q) != fmt.Sprint(p) {
				t.Fatalf("entry %q changed: %+v vs %+v", p.Name, p, q)
			}
		}
	})
}
