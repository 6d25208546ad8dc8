package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/builtin"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

var updateComponents = flag.Bool("update-components", false, "rewrite specs/testdata/components.json from the built-in plugin")

// The planner's golden tests (pipeline/plan) cannot import the plugins; they
// read the built-in schemas from specs/testdata/components.json. This test
// keeps that file equal to the built-in plugin.
func TestComponentsGolden(t *testing.T) {
	var cs []specv1.Component
	for _, c := range builtin.Plugin(Version).Components {
		cs = append(cs, c.Describe())
	}
	got, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("..", "..", "..", "..", "specs", "testdata", "components.json")
	if *updateComponents {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the built-in plugin's schemas; run go test ./cmd/ckpt/internal/cli -run TestComponentsGolden -update-components", path)
	}
}

func TestNewResolver(t *testing.T) {
	r, err := newResolver(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, ok := r.Resolve("model", "dir")
	if !ok {
		t.Fatal(`model "dir" not resolved`)
	}
	if c.Plugin.Name != builtin.Name || c.Plugin.Version != Version || !strings.HasPrefix(c.Plugin.Digest, "sha256:") || len(c.Plugin.Digest) != 71 {
		t.Errorf("plugin id = %+v", c.Plugin)
	}
	if _, ok := r.Resolve("model", "nope"); ok {
		t.Error(`model "nope" resolved`)
	}
}
