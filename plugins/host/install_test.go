package host_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// source copies the test plugin to dir/bin/testplug and returns its path.
func source(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(build(t).testplug)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "bin", "testplug")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInitFromLocalPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	src := source(t, dir)
	var log strings.Builder
	lock, err := host.Init(ctx(t), dir, []host.Requirement{{Name: "testplug", Source: "./bin/testplug", Version: "1.0.0"}}, host.InitOptions{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := host.FileDigest(src)
	p, ok := lock.Get("testplug")
	if !ok || p.Digest() != want || p.Version != "1.0.0" || p.Source != "./bin/testplug" {
		t.Fatalf("lock entry = %+v, want digest %s", p, want)
	}
	if !strings.Contains(log.String(), "Installed plugin testplug 1.0.0 ("+want+")") {
		t.Errorf("log = %q", log.String())
	}
	onDisk, err := host.ReadLock(filepath.Join(dir, host.LockFile))
	if err != nil || len(onDisk.Plugins) != 1 {
		t.Fatalf("lock file: %+v, %v", onDisk, err)
	}
	// The installed plugin runs.
	h := newHost(t, dir)
	if _, err := h.Execute(ctx(t), "testplug", request(t, "ok"), &recorder{}); err != nil {
		t.Fatal(err)
	}
	// file:// and absolute sources work too, and reinstalling is idempotent.
	if _, err := host.Init(ctx(t), dir, []host.Requirement{{Name: "testplug", Source: "file://" + src}}, host.InitOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestInitRefusesChangedBinary(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	src := source(t, dir)
	req := []host.Requirement{{Name: "testplug", Source: "./bin/testplug", Version: "1.0.0"}}
	lock, err := host.Init(ctx(t), dir, req, host.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := lock.Get("testplug")
	f, _ := os.OpenFile(src, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("changed"))
	f.Close()
	changed, _, _ := host.FileDigest(src)
	_, err = host.Init(ctx(t), dir, req, host.InitOptions{})
	if err == nil || !strings.Contains(err.Error(), old.Digest()) || !strings.Contains(err.Error(), changed) {
		t.Fatalf("err = %v, want both digests", err)
	}
	if _, err := host.Init(ctx(t), dir, req, host.InitOptions{Upgrade: true}); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
}

func TestInitErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	source(t, dir)
	for name, tc := range map[string]struct {
		req  host.Requirement
		want string
	}{
		"version":     {host.Requirement{Name: "testplug", Source: "./bin/testplug", Version: "2.0.0"}, "is version 1.0.0, required_plugins asks for 2.0.0"},
		"missing":     {host.Requirement{Name: "testplug", Source: "./bin/nope"}, "bin/nope"},
		"not found":   {host.Requirement{Name: "other"}, "no ckpt-plugin-other"},
		"wrong name":  {host.Requirement{Name: "other", Source: "./bin/testplug"}, `describes itself as plugin "testplug", not "other"`},
		"bad name":    {host.Requirement{Name: "../x", Source: "./bin/testplug"}, "a plugin name has"},
		"builtin":     {host.Requirement{Name: "builtin", Source: "./bin/testplug"}, "a plugin name has"},
		"no tag":      {host.Requirement{Name: "x", Source: "127.0.0.1:1/p/x"}, "no tag in the source"},
		"unreachable": {host.Requirement{Name: "x", Source: "127.0.0.1:1/p/x", Version: "1.0.0"}, "127.0.0.1:1/p/x:1.0.0"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "wrong name" {
				t.Setenv("CKPT_TESTPLUG_NAME", "testplug")
			}
			_, err := host.Init(ctx(t), dir, []host.Requirement{tc.req}, host.InitOptions{PlainHTTP: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, host.LockFile)); err == nil {
		t.Error("a failed init wrote a lock file")
	}
}

func TestPushAndInitFromRegistry(t *testing.T) {
	reg := testenv.NewRegistry(t)
	work := t.TempDir()
	src := source(t, work)
	ref := reg.Host + "/ckpt-plugins/testplug:1.0.0"
	desc, err := host.PushPlugin(context.Background(), []string{src}, ref, host.PushOptions{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	// Pushing the same binary again gives the same manifest digest.
	again, err := host.PushPlugin(context.Background(), []string{src}, ref, host.PushOptions{PlainHTTP: true})
	if err != nil || again.Digest != desc.Digest {
		t.Fatalf("re-push: %v, digest %s vs %s", err, again.Digest, desc.Digest)
	}
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	lock, err := host.Init(ctx(t), dir, []host.Requirement{{Name: "testplug", Source: reg.Host + "/ckpt-plugins/testplug", Version: "1.0.0"}},
		host.InitOptions{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := host.FileDigest(src)
	if p, _ := lock.Get("testplug"); p.Digest() != want {
		t.Fatalf("installed digest %s, pushed %s", p.Digest(), want)
	}
	h := newHost(t, dir)
	if _, err := h.Execute(ctx(t), "testplug", request(t, "ok"), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if _, err := host.PushPlugin(context.Background(), []string{src}, reg.Host+"/ckpt-plugins/testplug", host.PushOptions{PlainHTTP: true}); err == nil {
		t.Error("push without a tag succeeded")
	}
}

// TestInitFromOrasPush installs a plugin pushed by the oras CLI, as
// specs/plugin-protocol.md documents, and checks our push with oras too.
func TestInitFromOrasPush(t *testing.T) {
	oras := testenv.RequireTool(t, "oras")
	reg := testenv.NewRegistry(t)
	work := t.TempDir()
	src := source(t, work)
	os.Rename(src, filepath.Join(work, "bin", "ckpt-plugin-testplug"))
	ref := reg.Host + "/ckpt-plugins/testplug:1.0.0"
	cmd := exec.Command(oras, "push", "--plain-http", "--artifact-type", specv1.ArtifactTypePlugin, ref,
		"ckpt-plugin-testplug:"+specv1.MediaTypePluginBinary)
	cmd.Dir = filepath.Join(work, "bin")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oras push: %v\n%s", err, b)
	}
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	if _, err := host.Init(ctx(t), dir, []host.Requirement{{Name: "testplug", Source: reg.Host + "/ckpt-plugins/testplug", Version: "1.0.0"}},
		host.InitOptions{PlainHTTP: true}); err != nil {
		t.Fatal(err)
	}
	// What PushPlugin pushes, oras reads as an artifact of our type.
	ours := reg.Host + "/ckpt-plugins/ours:1.0.0"
	if _, err := host.PushPlugin(ctx(t), []string{filepath.Join(work, "bin", "ckpt-plugin-testplug")}, ours, host.PushOptions{PlainHTTP: true}); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(oras, "manifest", "fetch", "--plain-http", ours).Output()
	if err != nil {
		t.Fatalf("oras manifest fetch: %v", err)
	}
	var m struct {
		ArtifactType string `json:"artifactType"`
		Layers       []struct {
			MediaType string `json:"mediaType"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.ArtifactType != specv1.ArtifactTypePlugin ||
		len(m.Layers) != 1 || m.Layers[0].MediaType != specv1.MediaTypePluginBinary {
		t.Fatalf("manifest as oras sees it: %s (%v)", b, err)
	}
}
