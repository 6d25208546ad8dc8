package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/plugins/host"
)

// marker makes every testplug that starts append its pid to a file and
// returns a func that fails the test when one did.
func marker(t *testing.T) func(what string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_TESTPLUG_STARTS", f)
	return func(what string) {
		t.Helper()
		if b, err := os.ReadFile(f); err == nil {
			t.Errorf("%s: a plugin binary ran (pids %q)", what, strings.TrimSpace(string(b)))
		}
		os.Remove(f)
	}
}

// appendTo changes a binary without breaking it.
func appendTo(t *testing.T, path, text string) string {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(text)
	f.Close()
	d, _, _ := host.FileDigest(path)
	return d
}

// stillWorks checks that the installed plugin of dir is the locked one and runs.
func stillWorks(t *testing.T, dir, locked string) {
	t.Helper()
	if d, _, _ := host.FileDigest(filepath.Join(host.ProjectPluginDir(dir), "ckpt-plugin-testplug")); d != locked {
		t.Errorf("installed binary is now %s, want the locked %s", d, locked)
	}
	if _, err := newHost(t, dir).Execute(ctx(t), "testplug", request(t, "ok"), &recorder{}); err != nil {
		t.Errorf("the old install no longer runs: %v", err)
	}
}

// TestInitChangedSourceNeverRuns: a replaced source binary is refused
// before it runs, and the working install is kept.
func TestInitChangedSourceNeverRuns(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	src := source(t, dir)
	req := []host.Requirement{{Name: "testplug", Source: "./bin/testplug", Version: "1.0.0"}}
	lock, err := host.Init(ctx(t), dir, req, host.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := lock.Get("testplug")
	changed := appendTo(t, src, "changed")
	ran := marker(t)
	_, err = host.Init(ctx(t), dir, req, host.InitOptions{})
	if err == nil || !strings.Contains(err.Error(), changed) || !strings.Contains(err.Error(), old.Digest()) {
		t.Fatalf("err = %v, want both digests %s and %s", err, changed, old.Digest())
	}
	ran("refused init")
	stillWorks(t, dir, old.Digest())
	if ents, _ := filepath.Glob(filepath.Join(host.ProjectPluginDir(dir), ".staging-*")); len(ents) != 0 {
		t.Errorf("staging left behind: %v", ents)
	}
}

// pushed is a registry with testplug pushed to ref and a project
// initialised from it.
type pushed struct {
	ref, src, dir string
	req           []host.Requirement
	lock          host.LockedPlugin
}

func pushAndInit(t *testing.T) pushed {
	t.Helper()
	reg := testenv.NewRegistry(t)
	p := pushed{ref: reg.Host + "/ckpt-plugins/testplug", src: source(t, t.TempDir()), dir: t.TempDir()}
	if _, err := host.PushPlugin(ctx(t), []string{p.src}, p.ref+":1.0.0", host.PushOptions{PlainHTTP: true}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	p.req = []host.Requirement{{Name: "testplug", Source: p.ref, Version: "1.0.0"}}
	lock, err := host.Init(ctx(t), p.dir, p.req, host.InitOptions{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	p.lock, _ = lock.Get("testplug")
	if !strings.HasPrefix(p.lock.Manifest, "sha256:") {
		t.Fatalf("lock pins no manifest: %+v", p.lock)
	}
	return p
}

// TestInitRefusesRepushedTag: a tag pushed again with another binary is
// refused before the new binary runs, in the project and in a fresh clone
// that has only the lock file.
func TestInitRefusesRepushedTag(t *testing.T) {
	p := pushAndInit(t)
	appendTo(t, p.src, "re-pushed")
	if _, err := host.PushPlugin(ctx(t), []string{p.src}, p.ref+":1.0.0", host.PushOptions{PlainHTTP: true}); err != nil {
		t.Fatal(err)
	}
	ran := marker(t)
	_, err := host.Init(ctx(t), p.dir, p.req, host.InitOptions{PlainHTTP: true})
	if err == nil || !strings.Contains(err.Error(), "now names manifest") || !strings.Contains(err.Error(), p.lock.Manifest) {
		t.Fatalf("err = %v, want the moved tag refused", err)
	}
	ran("re-pushed tag")
	stillWorks(t, p.dir, p.lock.Digest())
	ran = marker(t) // stillWorks ran the locked binary

	clone := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(p.dir, host.LockFile))
	os.WriteFile(filepath.Join(clone, host.LockFile), b, 0o644)
	if _, err := host.Init(ctx(t), clone, p.req, host.InitOptions{PlainHTTP: true}); err == nil || !strings.Contains(err.Error(), "now names manifest") {
		t.Fatalf("fresh clone: err = %v, want the moved tag refused", err)
	}
	ran("fresh clone")
	// A lock from before manifest pins still refuses by the binary's hash.
	legacy := "plugin \"testplug\" {\n  source  = \"" + p.ref + "\"\n  version = \"1.0.0\"\n  sha256  = \"" + strings.TrimPrefix(p.lock.Digest(), "sha256:") + "\"\n}\n"
	os.WriteFile(filepath.Join(clone, host.LockFile), []byte(legacy), 0o644)
	var de *host.DigestError
	if _, err := host.Init(ctx(t), clone, p.req, host.InitOptions{PlainHTTP: true}); !errors.As(err, &de) || de.Locked != p.lock.Digest() {
		t.Fatalf("fresh clone with a legacy lock: err = %v, want a DigestError", err)
	}
	ran("fresh clone, legacy lock")
	if _, err := os.Stat(filepath.Join(host.ProjectPluginDir(clone), "ckpt-plugin-testplug")); err == nil {
		t.Error("the refused binary was installed in the clone")
	}
	if _, err := host.Init(ctx(t), p.dir, p.req, host.InitOptions{PlainHTTP: true, Upgrade: true}); err != nil {
		t.Fatalf("--upgrade: %v", err)
	}
}

var (
	darwinOnce sync.Once
	darwinBin  string
	darwinErr  error
)

// darwinPlugin cross-compiles a tiny Go program for darwin/arm64.
func darwinPlugin(t *testing.T) string {
	t.Helper()
	darwinOnce.Do(func() {
		dir := filepath.Join(binsDirOrTemp(t), "darwin")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
		darwinBin = filepath.Join(dir, "ckpt-plugin-testplug")
		cmd := exec.Command("go", "build", "-o", darwinBin, "main.go")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH=arm64", "CGO_ENABLED=0", "GO111MODULE=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			darwinErr = errors.New(string(b))
		}
	})
	if darwinErr != nil {
		t.Fatalf("cross-compile for darwin/arm64: %v", darwinErr)
	}
	return darwinBin
}

func binsDirOrTemp(t *testing.T) string {
	build(t)
	return binsDir
}

// TestPushLabelsBinaryPlatform: each pushed layer carries the platform of
// its binary's header, not the pusher's.
func TestPushLabelsBinaryPlatform(t *testing.T) {
	mac := darwinPlugin(t)
	if p, err := host.BinaryPlatform(mac); err != nil || p != "darwin/arm64" {
		t.Fatalf("BinaryPlatform(darwin binary) = %q, %v", p, err)
	}
	if p, err := host.BinaryPlatform(build(t).testplug); err != nil || p != host.HostPlatform() {
		t.Fatalf("BinaryPlatform(testplug) = %q, %v", p, err)
	}
	if _, err := host.BinaryPlatform(filepath.Join("testdata", "testplug", "main.go")); err == nil {
		t.Error("a Go source file has a platform")
	}
	reg := testenv.NewRegistry(t)
	ref := reg.Host + "/ckpt-plugins/mac:1.0.0"
	desc, err := host.PushPlugin(ctx(t), []string{mac}, ref, host.PushOptions{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(fetchBlob(t, reg.Host, "ckpt-plugins/mac", desc.Digest.String()), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 1 || m.Layers[0].Platform == nil || m.Layers[0].Platform.OS != "darwin" || m.Layers[0].Platform.Architecture != "arm64" {
		t.Fatalf("layers = %+v, want one darwin/arm64 layer", m.Layers)
	}
	if _, err := host.PushPlugin(ctx(t), []string{mac, mac}, ref, host.PushOptions{PlainHTTP: true}); err == nil || !strings.Contains(err.Error(), "both darwin/arm64") {
		t.Errorf("two darwin binaries: %v", err)
	}
}

// fetchBlob reads a manifest from a plain-HTTP test registry.
func fetchBlob(t *testing.T, hostport, repo, dg string) []byte {
	t.Helper()
	out, err := exec.CommandContext(context.Background(), "curl", "-sf",
		"-H", "Accept: "+ocispec.MediaTypeImageManifest, "http://"+hostport+"/v2/"+repo+"/manifests/"+dg).Output()
	if err != nil {
		t.Skipf("curl: %v", err)
	}
	return out
}

// TestInitTwoPlatformLock: one lock entry pins the linux and the darwin
// binary; the darwin one is read from the manifest and never runs.
func TestInitTwoPlatformLock(t *testing.T) {
	mac := darwinPlugin(t)
	reg := testenv.NewRegistry(t)
	ref := reg.Host + "/ckpt-plugins/testplug"
	src := source(t, t.TempDir())
	if _, err := host.PushPlugin(ctx(t), []string{src, mac}, ref+":1.0.0", host.PushOptions{PlainHTTP: true}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	req := []host.Requirement{{Name: "testplug", Source: ref, Version: "1.0.0"}}
	lock, err := host.Init(ctx(t), dir, req, host.InitOptions{PlainHTTP: true, Platforms: []string{"darwin/arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	want[host.HostPlatform()], _, _ = host.FileDigest(src)
	want["darwin/arm64"], _, _ = host.FileDigest(mac)
	p, _ := lock.Get("testplug")
	if len(p.Hashes) != 2 || p.Hashes[host.HostPlatform()] != want[host.HostPlatform()] || p.Hashes["darwin/arm64"] != want["darwin/arm64"] {
		t.Fatalf("hashes = %v, want %v", p.Hashes, want)
	}
	// A teammate's init without --platform keeps the other platform's pin.
	lock, err = host.Init(ctx(t), dir, req, host.InitOptions{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := lock.Get("testplug"); q.Hashes["darwin/arm64"] != want["darwin/arm64"] {
		t.Errorf("second init dropped the darwin hash: %v", q.Hashes)
	}
	stillWorks(t, dir, want[host.HostPlatform()])
	for name, o := range map[string]host.InitOptions{
		"no such platform": {PlainHTTP: true, Platforms: []string{"windows/amd64"}},
		"bad platform":     {PlainHTTP: true, Platforms: []string{"windows"}},
	} {
		if _, err := host.Init(ctx(t), dir, req, o); err == nil {
			t.Errorf("%s: init succeeded", name)
		}
	}
	local := []host.Requirement{{Name: "testplug", Source: "./bin/testplug"}}
	source(t, dir)
	if _, err := host.Init(ctx(t), dir, local, host.InitOptions{Platforms: []string{"darwin/arm64"}}); err == nil || !strings.Contains(err.Error(), "needs a registry source") {
		t.Errorf("--platform with a local source: %v", err)
	}
}

// TestInitRefusesForeignLocalBinary: a local binary for another platform
// is refused with its platform, not run.
func TestInitRefusesForeignLocalBinary(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	b, _ := os.ReadFile(darwinPlugin(t))
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin", "mac"), b, 0o755)
	_, err := host.Init(ctx(t), dir, []host.Requirement{{Name: "testplug", Source: "./bin/mac"}}, host.InitOptions{})
	if err == nil || !strings.Contains(err.Error(), "is built for darwin/arm64") {
		t.Fatalf("err = %v", err)
	}
}
