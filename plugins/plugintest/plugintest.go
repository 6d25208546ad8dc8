// Package plugintest is the conformance suite every ckpt plugin component
// passes: its description is stable and survives the wire, its schema is
// well formed, invalid configuration gives diagnostics, and (for components
// with a Case) a run honours cancellation, writes only into its output and
// scratch folders and gives the same output for the same input.
//
// The suite talks to the plugin over the real protocol (gRPC on an
// in-memory connection), so encoding problems show up too.
package plugintest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Case tells the suite how to run one component.
type Case struct {
	// Component is the component's address, KIND.TYPE.
	Component string
	// Skip, when set, skips the component with this reason.
	Skip string
	// Setup prepares one run under dir, a fresh folder each time: it writes
	// the input folders there and returns the config and the inputs. A
	// component without Setup gets only the checks that need no run.
	Setup func(t *testing.T, dir string) (config json.RawMessage, inputs []specv1.Input)
	// Invalid are configs that must each give an error diagnostic, besides
	// the suite's own (a non-object config, a value of the wrong type).
	Invalid []json.RawMessage
}

// Run runs the suite over every component of p, one subtest each. When
// several cases name the same component, the last one counts.
func Run(t *testing.T, p *sdk.Plugin, cases ...Case) {
	t.Helper()
	byAddr := map[string]Case{}
	for _, c := range cases {
		byAddr[c.Component] = c
	}
	remote := connect(t, p)
	desc, err := remote.Describe(t.Context())
	if err != nil {
		t.Fatalf("describe over the wire: %v", err)
	}
	if desc.Name != p.Name || desc.Version != p.Version || desc.ProtocolVersion != sdk.ProtocolVersion {
		t.Errorf("describe = %s %s protocol %d, want %s %s protocol %d",
			desc.Name, desc.Version, desc.ProtocolVersion, p.Name, p.Version, sdk.ProtocolVersion)
	}
	for i, comp := range p.Components {
		d := comp.Describe()
		c := byAddr[d.Address()]
		t.Run(d.Address(), func(t *testing.T) {
			if c.Skip != "" {
				t.Skip(c.Skip)
			}
			s := &suite{comp: comp, remote: remote, c: c}
			if i < len(desc.Components) {
				s.wire = desc.Components[i]
			}
			s.run(t)
		})
	}
}

// connect serves p on an in-memory gRPC connection and returns its client.
func connect(t *testing.T, p *sdk.Plugin) *sdk.Remote {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{sdk.PluginKey: &sdk.GRPCPlugin{Impl: p}})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(sdk.PluginKey)
	if err != nil {
		t.Fatalf("dispense: %v", err)
	}
	return raw.(*sdk.Remote)
}

type suite struct {
	comp   sdk.Component
	remote *sdk.Remote
	wire   specv1.Component
	c      Case
}

func (s *suite) run(t *testing.T) {
	t.Run("describe is stable", s.describeStable)
	t.Run("schema decodes", s.schemaDecodes)
	t.Run("invalid config gives diagnostics", s.invalidConfig)
	if s.c.Setup == nil {
		return
	}
	t.Run("run honours cancellation", s.cancellation)
	t.Run("writes only its output folder", s.outputOnly)
	t.Run("deterministic output", s.deterministic)
}

func (s *suite) describeStable(t *testing.T) {
	a, b := s.comp.Describe(), s.comp.Describe()
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two Describe calls differ:\n%+v\n%+v", a, b)
	}
	ja, _ := json.Marshal(a)
	jw, _ := json.Marshal(s.wire)
	if string(ja) != string(jw) {
		t.Errorf("Describe over the wire differs from the component's:\n%s\n%s", jw, ja)
	}
}

// request is a run request of the component under test.
func (s *suite) request(step string, cfg json.RawMessage, inputs []specv1.Input, out, scratch, specDir string) *specv1.RunRequest {
	d := s.comp.Describe()
	return &specv1.RunRequest{Kind: d.Kind, Type: d.Type, Step: d.Kind + "." + step, Config: cfg,
		Inputs: inputs, OutputDir: out, ScratchDir: scratch, SpecDir: specDir}
}

// nopEvents discards events.
type nopEvents struct{}

func (nopEvents) Log(string)                    {}
func (nopEvents) Progress(int64, int64, string) {}
func (nopEvents) Diagnostic(specv1.Diagnostic)  {}

func (s *suite) remoteRun(ctx context.Context, req *specv1.RunRequest) (*specv1.Metadata, error) {
	return s.remote.Run(ctx, req, nopEvents{})
}
