package sdk_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type stepConfig struct {
	Path     string    `json:"path"`
	Adapters []string  `json:"adapters"`
	Weights  []float64 `json:"weights"`
}

func TestDecodeConfig(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want stepConfig
		err  string
	}{
		{"", stepConfig{}, ""},
		{`{"path": "./base", "adapters": ["adapter.a"], "weights": [0.5]}`, stepConfig{Path: "./base", Adapters: []string{"adapter.a"}, Weights: []float64{0.5}}, ""},
		{`{"path": "./base", "unknown": 1}`, stepConfig{Path: "./base"}, ""},
		{`{"path": 3}`, stepConfig{}, "config: json: cannot unmarshal number into Go struct field stepConfig.path of type string"},
		{`{"path": `, stepConfig{}, "config: unexpected end of JSON input"},
	} {
		got, err := sdk.DecodeConfig[stepConfig](json.RawMessage(tc.raw))
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("DecodeConfig(%s) error = %v, want %q", tc.raw, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("DecodeConfig(%s) = %+v, %v; want %+v", tc.raw, got, err, tc.want)
		}
	}
}

func FuzzDecodeConfig(f *testing.F) {
	f.Add([]byte(`{"path": "./base", "adapters": ["a"], "weights": [1]}`))
	f.Add([]byte(`{"weights": [1e999]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cfg, err := sdk.DecodeConfig[stepConfig](raw)
		if err != nil && !strings.HasPrefix(err.Error(), "config: ") {
			t.Fatalf("error %q does not name the config", err)
		}
		if err == nil && len(raw) > 0 && !json.Valid(raw) {
			t.Fatalf("invalid JSON %q decoded to %+v", raw, cfg)
		}
	})
}

// recorder is an sdk.Events that keeps what it is sent.
type recorder struct{ diags []specv1.Diagnostic }

func (r *recorder) Log(string)                     {}
func (r *recorder) Progress(int64, int64, string)  {}
func (r *recorder) Diagnostic(d specv1.Diagnostic) { r.diags = append(r.diags, d) }

func TestReport(t *testing.T) {
	warn := specv1.Diagnostic{Severity: specv1.SeverityWarning, Summary: "dtype fp32 doubles the size", Path: []string{"dtype"}}
	bad := specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "path is required", Path: []string{"path"}}
	worse := specv1.Diagnostic{Severity: specv1.SeverityError, Summary: "id is required", Path: []string{"id"}}
	for _, tc := range []struct {
		name string
		ds   []specv1.Diagnostic
		err  string
	}{
		{"none", nil, ""},
		{"warnings only", []specv1.Diagnostic{warn}, ""},
		{"first error named", []specv1.Diagnostic{warn, bad, worse}, "path is required"},
	} {
		ev := &recorder{}
		err := sdk.Report(ev, tc.ds)
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.err)
		}
		if !reflect.DeepEqual(ev.diags, tc.ds) {
			t.Errorf("%s: sent %+v, want every diagnostic %+v", tc.name, ev.diags, tc.ds)
		}
	}
}

func TestOneInput(t *testing.T) {
	base := specv1.Input{Attr: "base", Step: "model.base", Digest: "sha256:aa"}
	a := specv1.Input{Attr: "adapters", Step: "adapter.a"}
	b := specv1.Input{Attr: "adapters", Step: "adapter.b"}
	req := &specv1.RunRequest{Step: "merge.support", Inputs: []specv1.Input{a, base, b}}
	if got, err := sdk.OneInput(req, "base"); err != nil || !reflect.DeepEqual(got, base) {
		t.Errorf("OneInput(base) = %+v, %v", got, err)
	}
	for attr, want := range map[string]string{"adapters": "want one adapters input, got 2", "target": "want one target input, got 0"} {
		if _, err := sdk.OneInput(req, attr); err == nil || err.Error() != want {
			t.Errorf("OneInput(%s) error = %v, want %q", attr, err, want)
		}
	}
}

func TestDerive(t *testing.T) {
	m := specv1.Metadata{Kind: "merge", ID: "support-merged", Format: "hf", DType: "bf16", License: "Apache-2.0 AND MIT",
		Lineage:  []specv1.Lineage{{Role: "base", ID: "mistral-7b-instruct-v0.3", Digest: "sha256:aa", License: "Apache-2.0"}},
		Notices:  []string{"Mistral notice"},
		Findings: []specv1.Finding{{Code: "x", Severity: specv1.SeverityError, Message: "not carried"}}}
	got := sdk.Derive("check", m)
	want := &specv1.Metadata{Kind: "check", ID: m.ID, License: m.License, Lineage: m.Lineage, Notices: m.Notices}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Derive = %+v, want %+v", got, want)
	}
}
