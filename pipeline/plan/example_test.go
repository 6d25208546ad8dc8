package plan_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// ExampleNew loads a spec, plans it and prints the steps in build order with
// their dependencies; the bundle waits for the check that gates it.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	src := `
model "dir" "base" {
  path = "."
  id   = "mistral-7b-instruct-v0.3"
}
check "license" "release" {
  target = model.base
  use    = "commercial"
}
bundle "modelpack" "release" {
  from = model.base
  name = "support"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(src), 0o644); err != nil {
		log.Fatal(err)
	}
	sp, diags := spec.Load(context.Background(), dir, spec.Options{})
	if diags.HasErrors() {
		log.Fatal(diags)
	}
	id := plan.PluginID{Name: "example", Version: "1.0.0", Digest: "sha256:0"}
	r := resolver{cs: []plan.Component{
		{Plugin: id, Component: specv1.Component{Kind: "model", Type: "dir", Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "path", Type: specv1.TypePath, Required: true}, {Name: "id", Type: specv1.TypeString}}}}},
		{Plugin: id, Component: specv1.Component{Kind: "check", Type: "license", Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "target", Type: specv1.TypeStep, Required: true}, {Name: "use", Type: specv1.TypeString}}},
			Capabilities: specv1.Capabilities{Gate: "target"}}},
		{Plugin: id, Component: specv1.Component{Kind: "bundle", Type: "modelpack", Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "from", Type: specv1.TypeStep, Required: true}, {Name: "name", Type: specv1.TypeString}}},
			Capabilities: specv1.Capabilities{Gated: true}}},
	}}
	g, diags := plan.New(sp, r)
	if diags.HasErrors() {
		log.Fatal(diags)
	}
	for _, s := range g.Steps {
		fmt.Println(s.Address, s.Inputs)
	}
	// Output:
	// model.base []
	// check.release [{model.base target false}]
	// bundle.release [{model.base from false} {check.release gate true}]
}
