package model

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type events struct {
	diags []specv1.Diagnostic
	logs  []string
}

func (e *events) Log(m string)                   { e.logs = append(e.logs, m) }
func (e *events) Progress(int64, int64, string)  {}
func (e *events) Diagnostic(d specv1.Diagnostic) { e.diags = append(e.diags, d) }

func run(t *testing.T, cfg map[string]any) (*specv1.Metadata, string, *events, error) {
	t.Helper()
	raw, _ := json.Marshal(cfg)
	out := t.TempDir()
	ev := &events{}
	md, err := Components()[0].Run(context.Background(), &specv1.RunRequest{Kind: "model", Type: "dir", Step: "model.base",
		Config: raw, OutputDir: out, ScratchDir: t.TempDir()}, ev)
	return md, out, ev, err
}

func TestRunNativeAndHF(t *testing.T) {
	for _, layout := range []mistral.Format{mistral.FormatNative, mistral.FormatHF} {
		dir := t.TempDir()
		if err := synth.Model(t.Context(), dir, synth.ModelOptions{Layout: layout, DType: "fp16"}); err != nil {
			t.Fatal(err)
		}
		md, out, _, err := run(t, map[string]any{"path": dir, "id": "tiny-2511", "license": "Apache-2.0", "notices": []string{"n1"}})
		if err != nil {
			t.Fatal(err)
		}
		if md.Kind != "model" || md.ID != "tiny-2511" || md.Format != string(layout) || md.DType != "fp16" ||
			md.License != "Apache-2.0" || len(md.Notices) != 1 || len(md.Lineage) != 0 || md.Architecture != "mistral" {
			t.Errorf("%s: metadata %+v", layout, md)
		}
		var params map[string]any
		if err := json.Unmarshal(md.Params, &params); err != nil || len(params) == 0 {
			t.Errorf("params %s: %v", md.Params, err)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			a, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			b, err := os.ReadFile(filepath.Join(out, e.Name()))
			if err != nil || string(a) != string(b) {
				t.Errorf("%s not in the output", e.Name())
			}
		}
	}
}

func TestLatestIDIsADiagnostic(t *testing.T) {
	ds := Components()[0].Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(`{"path":"/x","id":"mistral-large-latest"}`)})
	if len(ds) != 1 || ds[0].Severity != specv1.SeverityError || len(ds[0].Path) != 1 || ds[0].Path[0] != "id" {
		t.Fatalf("diagnostics %+v", ds)
	}
	_, _, ev, err := run(t, map[string]any{"path": t.TempDir(), "id": "mistral-large-latest"})
	if err == nil || len(ev.diags) != 1 || ev.diags[0].Path[0] != "id" {
		t.Fatalf("run: %v %+v", err, ev.diags)
	}
}

func TestRunErrorsWriteNothing(t *testing.T) {
	mixed := t.TempDir()
	synth.Model(t.Context(), mixed, synth.ModelOptions{})
	synth.Model(t.Context(), mixed, synth.ModelOptions{Layout: mistral.FormatHF})
	corrupt := t.TempDir()
	synth.Model(t.Context(), corrupt, synth.ModelOptions{})
	f, _ := os.OpenFile(filepath.Join(corrupt, "consolidated.safetensors"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0})
	f.Close()
	for name, tc := range map[string]struct {
		dir  string
		want []string
	}{
		"mixed layout":  {mixed, []string{"consolidated.safetensors", "model.safetensors", "mixes"}},
		"trailing byte": {corrupt, []string{"consolidated.safetensors", "MetadataIncompleteBuffer"}},
	} {
		_, out, _, err := run(t, map[string]any{"path": tc.dir, "id": "x-2511"})
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", name, err, w)
			}
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("%s: %d files written", name, len(ents))
		}
	}
}
