package host_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/plugins/host"
)

// TestInitBrokenDockerConfig: ckpt init (and plugin push) refuse a broken
// Docker config with an error naming the file, as push and pull do,
// instead of going on anonymously.
func TestInitBrokenDockerConfig(t *testing.T) {
	reg := testenv.NewRegistry(t)
	src := source(t, t.TempDir())
	ref := reg.Host + "/ckpt-plugins/testplug:1.0.0"
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no config: anonymous
	if _, err := host.PushPlugin(context.Background(), []string{src}, ref, host.PushOptions{PlainHTTP: true}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	for name, text := range map[string]string{
		"not json":       `{"auths": {`,
		"missing helper": `{"credsStore": "ckpt-test-no-such-helper"}`,
	} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "config.json")
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DOCKER_CONFIG", dir)
		_, err := host.Init(ctx(t), t.TempDir(), []host.Requirement{{Name: "testplug", Source: reg.Host + "/ckpt-plugins/testplug", Version: "1.0.0"}},
			host.InitOptions{PlainHTTP: true})
		if err == nil || !strings.Contains(err.Error(), cfg) {
			t.Errorf("init, %s: err = %v, want it to name %s", name, err, cfg)
		}
		_, err = host.PushPlugin(context.Background(), []string{src}, ref, host.PushOptions{PlainHTTP: true})
		if err == nil || !strings.Contains(err.Error(), cfg) {
			t.Errorf("push plugin, %s: err = %v, want it to name %s", name, err, cfg)
		}
	}
}
