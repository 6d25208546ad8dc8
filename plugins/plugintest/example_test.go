package plugintest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/plugintest"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// listing is a tiny component that writes its input's file names into
// LISTING: enough to exercise every check of the suite.
type listing struct{}

func (listing) Describe() specv1.Component {
	return specv1.Component{Kind: "check", Type: "listing", Schema: specv1.Schema{Attributes: []specv1.Attribute{
		{Name: "target", Type: specv1.TypeStep, Required: true},
	}}}
}

func (listing) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	var cfg struct{ Target string }
	if json.Unmarshal(req.Config, &cfg) != nil || cfg.Target == "" {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: "target is required", Path: []string{"target"}}}
	}
	return nil
}

func (listing) Run(ctx context.Context, req *specv1.RunRequest, _ sdk.Events) (*specv1.Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(req.Inputs[0].Dir)
	if err != nil {
		return nil, err
	}
	var list []byte
	for _, e := range ents {
		list = append(list, e.Name()+"\n"...)
	}
	return &specv1.Metadata{}, os.WriteFile(filepath.Join(req.OutputDir, "LISTING"), list, 0o644)
}

func Example() {
	// In a plugin's own tests: the suite runs every component of the
	// plugin; Setup writes the inputs of one run.
	_ = func(t *testing.T) {
		p := &sdk.Plugin{Name: "listing", Version: "1.0.0", Components: []sdk.Component{listing{}}}
		plugintest.Run(t, p, plugintest.Case{Component: "check.listing", Setup: listingSetup})
	}
}

func listingSetup(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
	in := filepath.Join(dir, "model")
	os.MkdirAll(in, 0o755)
	os.WriteFile(filepath.Join(in, "weights.bin"), []byte("w"), 0o644)
	return json.RawMessage(`{"target":"model.base"}`), []specv1.Input{{Step: "model.base", Attr: "target", Dir: in}}
}

func TestSuiteOnAGoodComponent(t *testing.T) {
	p := &sdk.Plugin{Name: "listing", Version: "1.0.0", Components: []sdk.Component{listing{}}}
	plugintest.Run(t, p, plugintest.Case{Component: "check.listing", Setup: listingSetup})
}
