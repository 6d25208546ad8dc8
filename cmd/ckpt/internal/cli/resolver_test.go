package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/builtin"
	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

var updateComponents = flag.Bool("update-components", false, "rewrite specs/testdata/components.json from the built-in plugin")

// The planner's golden tests (pipeline/plan) cannot import the plugins; they
// read the built-in schemas from specs/testdata/components.json. This test
// checks that every component and attribute recorded there still exists in
// the built-in plugin with the same type, kinds and required flag (new
// attributes and descriptions may be added without updating the file).
func TestComponentsGolden(t *testing.T) {
	var cs []specv1.Component
	for _, c := range builtin.Plugin(Version).Components {
		cs = append(cs, c.Describe())
	}
	path := filepath.Join("..", "..", "..", "..", "specs", "testdata", "components.json")
	if *updateComponents {
		got, err := json.MarshalIndent(cs, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recorded []specv1.Component
	if err := json.Unmarshal(b, &recorded); err != nil {
		t.Fatal(err)
	}
	live := map[string]map[string]specv1.Attribute{}
	for _, c := range cs {
		live[c.Address()] = map[string]specv1.Attribute{}
		for _, a := range c.Schema.Attributes {
			live[c.Address()][a.Name] = a
		}
	}
	for _, c := range recorded {
		attrs, ok := live[c.Address()]
		if !ok {
			t.Errorf("%s: recorded in %s but no longer built in", c.Address(), path)
			continue
		}
		for _, a := range c.Schema.Attributes {
			l, ok := attrs[a.Name]
			if !ok || l.Type != a.Type || l.Required != a.Required || !slices.Equal(l.Kinds, a.Kinds) {
				t.Errorf("%s.%s: recorded %+v, built in %+v", c.Address(), a.Name, a, l)
			}
		}
	}
	if t.Failed() {
		t.Log("update with: go test ./cmd/ckpt/internal/cli -run TestComponentsGolden -update-components, then go test ./pipeline/plan -run TestGolden -update")
	}
}

// TestNewResolver resolves the built-ins through the host, identified by
// the digest of the binary that serves them.
func TestNewResolver(t *testing.T) {
	bin := binaries(t).ckpt
	h, err := host.New(host.Options{Self: bin, Dir: t.TempDir(), Version: Version})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	r, err := newResolver(t.Context(), h)
	if err != nil {
		t.Fatal(err)
	}
	digest, _, _ := host.FileDigest(bin)
	c, ok := r.Resolve("model", "dir")
	if !ok {
		t.Fatal(`model "dir" not resolved`)
	}
	if c.Plugin.Name != builtin.Name || c.Plugin.Version != Version || c.Plugin.Digest != digest {
		t.Errorf("plugin id = %+v", c.Plugin)
	}
	if _, ok := r.Resolve("model", "nope"); ok {
		t.Error(`model "nope" resolved`)
	}
}
