package remote

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// brokenDockerConfigs writes each broken Docker config a user can have
// into its own folder and returns, per case, the folder to use as
// DOCKER_CONFIG and what the error must name (the file, and the helper).
func brokenDockerConfigs(t *testing.T, host string) map[string][]string {
	t.Helper()
	cases := map[string]string{
		"not json":       `{"auths": {`,
		"missing store":  `{"credsStore": "ckpt-test-no-such-helper"}`,
		"missing helper": `{"credHelpers": {"` + host + `": "ckpt-test-no-such-helper"}}`,
	}
	out := map[string][]string{}
	for name, text := range cases {
		dir := t.TempDir()
		p := filepath.Join(dir, "config.json")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		want := []string{p}
		if strings.Contains(name, "missing") {
			want = append(want, "docker-credential-ckpt-test-no-such-helper")
		}
		out[dir] = want
	}
	return out
}

// TestBrokenDockerConfigFails: push, pull and inspect (what ckpt audit
// reads through) refuse a broken Docker config with an error naming the
// file, before sending anything, instead of going on anonymously.
func TestBrokenDockerConfigFails(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	layout, _ := bundle(t, testModel(1<<10), modelpack.Options{})
	dst, _ := ParseRef(reg.Host + "/models/tiny:v1")
	opts := Options{PlainHTTP: true}
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no config: anonymous
	if _, err := Push(ctx, layout, "bundle", dst, PushOptions{Options: opts}); err != nil {
		t.Fatal(err)
	}
	before := reg.Requests.Load()
	ops := map[string]func() error{
		"push":    func() error { _, err := Push(ctx, layout, "bundle", dst, PushOptions{Options: opts}); return err },
		"pull":    func() error { _, err := Pull(ctx, dst, t.TempDir(), PullOptions{Options: opts}); return err },
		"inspect": func() error { _, err := Inspect(ctx, dst, opts); return err },
	}
	for dir, want := range brokenDockerConfigs(t, reg.Host) {
		t.Setenv("DOCKER_CONFIG", dir)
		for op, run := range ops {
			err := run()
			for _, w := range want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("%s with %s: err = %v, want it to name %s", op, want[0], err, w)
				}
			}
		}
	}
	if n := reg.Requests.Load() - before; n != 0 {
		t.Errorf("a broken Docker config still sent %d requests", n)
	}
}

// TestLayoutIgnoresDockerConfig: a layout folder needs no credentials.
func TestLayoutIgnoresDockerConfig(t *testing.T) {
	layout, _ := bundle(t, testModel(1<<10), modelpack.Options{})
	for dir := range brokenDockerConfigs(t, "example.com") {
		t.Setenv("DOCKER_CONFIG", dir)
		if _, err := Pull(context.Background(), Ref{Dir: layout}, t.TempDir(), PullOptions{}); err != nil {
			t.Errorf("pull of a layout with a broken Docker config: %v", err)
		}
	}
}
