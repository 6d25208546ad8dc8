package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/packaging/synth/breaks"
	"github.com/ckpt-dev/ckpt/plugins/plugintest"
	"github.com/ckpt-dev/ckpt/plugins/runtime"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type events struct{ logs []string }

func (e *events) Log(m string)                  { e.logs = append(e.logs, m) }
func (e *events) Progress(int64, int64, string) {}
func (e *events) Diagnostic(specv1.Diagnostic)  {}

func comp() sdk.Component { return runtime.Components()[0] }

// target synthesizes a native model under dir and returns it as an input.
func target(t *testing.T, dir string) specv1.Input {
	t.Helper()
	in := specv1.Input{Step: "merge.support", Attr: "target", Dir: filepath.Join(dir, "target"), Digest: "sha256:" + strings.Repeat("ab", 32),
		Metadata: specv1.Metadata{Kind: "merge", ID: "support-assistant-2611", Format: "mistral", License: "Apache-2.0",
			Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-7b-instruct-v0.3", License: "Apache-2.0"},
				{Role: "adapter", ID: "support-lora", License: "Apache-2.0"}},
			Notices: []string{"Modified by the support team."}}}
	if err := synth.Model(t.Context(), in.Dir, synth.ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	return in
}

func run(t *testing.T, cfg map[string]any, in specv1.Input) (*specv1.Metadata, string) {
	t.Helper()
	raw, _ := json.Marshal(cfg)
	out := t.TempDir()
	md, err := comp().Run(t.Context(), &specv1.RunRequest{Kind: "check", Type: "runtime", Step: "check.serve", Config: raw,
		Inputs: []specv1.Input{in}, OutputDir: out, ScratchDir: t.TempDir()}, &events{})
	if err != nil {
		t.Fatal(err)
	}
	return md, out
}

func TestRunClean(t *testing.T) {
	in := target(t, t.TempDir())
	md, out := run(t, map[string]any{"target": "merge.support"}, in)
	if md.Kind != "check" || len(md.Findings) != 0 || md.License != "Apache-2.0" || len(md.Lineage) != 2 || len(md.Notices) != 1 {
		t.Fatalf("metadata %+v", md)
	}
	if md.Outputs["errors"] != "0" || md.Outputs["warnings"] != "0" {
		t.Errorf("outputs %v", md.Outputs)
	}
	data, err := os.ReadFile(filepath.Join(out, runtime.FindingsFile))
	if err != nil || strings.TrimSpace(string(data)) != "[]" {
		t.Errorf("findings.json = %q, %v", data, err)
	}
	report, _ := os.ReadFile(filepath.Join(out, runtime.ReportFile))
	if !strings.Contains(string(report), "0 errors, 0 warnings") {
		t.Errorf("report: %s", report)
	}
}

// TestRunFindings: a broken target's findings are in the metadata (which
// fails the step) and in findings.json, and the report names them.
func TestRunFindings(t *testing.T) {
	in := target(t, t.TempDir())
	if _, err := breaks.Apply(t.Context(), in.Dir, compat.EOSMismatch); err != nil {
		t.Fatal(err)
	}
	md, out := run(t, map[string]any{"target": "merge.support", "runtimes": []string{"vllm-mistral"}}, in)
	if len(md.Findings) != 1 || md.Findings[0].Code != "eos.mismatch" || md.Findings[0].Severity != specv1.SeverityError {
		t.Fatalf("findings %+v", md.Findings)
	}
	var fromFile []specv1.Finding
	data, _ := os.ReadFile(filepath.Join(out, runtime.FindingsFile))
	if err := json.Unmarshal(data, &fromFile); err != nil || len(fromFile) != 1 || fromFile[0] != md.Findings[0] {
		t.Errorf("findings.json %s: %v", data, err)
	}
	report, _ := os.ReadFile(filepath.Join(out, runtime.ReportFile))
	if !strings.Contains(string(report), "error eos.mismatch generation_config.json eos_token_id") {
		t.Errorf("report: %s", report)
	}
}

// TestRunTrainingTemplate: a merge whose training metadata records another
// template than the bundle's fails with template.train_mismatch; the same
// template passes.
func TestRunTrainingTemplate(t *testing.T) {
	for _, tc := range []struct {
		name, tmpl, want string
	}{
		{"same", synth.ChatTemplate, ""},
		{"different", strings.Replace(synth.ChatTemplate, "[INST]", "[INST] ", 1), "template.train_mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := target(t, t.TempDir())
			training, _ := json.Marshal(map[string]any{"adapters": []any{map[string]any{"adapter": "adapter.support",
				"dataset": "tickets@2026-10-01", "chat_template": tc.tmpl}}})
			in.Metadata.Training = training
			md, _ := run(t, map[string]any{"target": "merge.support"}, in)
			got := ""
			for _, f := range md.Findings {
				got += f.Code
			}
			if got != tc.want {
				t.Errorf("findings %+v, want %q", md.Findings, tc.want)
			}
			if tc.want != "" && !strings.Contains(md.Findings[0].Message, "adapter.support, recorded in merge.support metadata at training.adapters[0].chat_template") {
				t.Errorf("message does not name the recorded template: %s", md.Findings[0].Message)
			}
		})
	}
}

// TestRunModelIDs: the target's and its lineage's ids are checked.
func TestRunModelIDs(t *testing.T) {
	in := target(t, t.TempDir())
	in.Metadata.Lineage[0].ID = "mistral-large-latest"
	in.Metadata.ID = "pixtral-12b-2409"
	in.Metadata.Lineage = append(in.Metadata.Lineage, specv1.Lineage{Role: "dataset", ID: "tickets-latest"})
	md, _ := run(t, map[string]any{"target": "merge.support"}, in)
	got := map[string]string{}
	for _, f := range md.Findings {
		got[f.Code] = f.Severity
	}
	if got["id.latest"] != specv1.SeverityError || got["id.retired"] != specv1.SeverityWarning || len(got) != 2 {
		t.Errorf("findings %+v", md.Findings)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg, path string
	}{
		{`{}`, "target"},
		{`{"target":"merge.x","runtimes":["vllm-mistral","tgi"]}`, "runtimes.1"},
		{`{"target":1}`, ""},
	} {
		ds := comp().Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(tc.cfg)})
		if len(ds) == 0 || ds[0].Severity != specv1.SeverityError || strings.Join(ds[0].Path, ".") != tc.path {
			t.Errorf("%s: %+v, want an error at %q", tc.cfg, ds, tc.path)
		}
	}
	if ds := comp().Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(`{"target":"merge.x","runtimes":["transformers"]}`)}); len(ds) != 0 {
		t.Errorf("valid config: %+v", ds)
	}
}

func TestRunErrors(t *testing.T) {
	out := t.TempDir()
	req := &specv1.RunRequest{Kind: "check", Type: "runtime", Step: "check.serve", Config: json.RawMessage(`{"target":"merge.support"}`), OutputDir: out}
	if _, err := comp().Run(t.Context(), req, &events{}); err == nil || !strings.Contains(err.Error(), "target input") {
		t.Errorf("no target input: %v", err)
	}
	req.Inputs = []specv1.Input{{Step: "merge.support", Attr: "target", Dir: filepath.Join(out, "absent")}}
	if _, err := comp().Run(t.Context(), req, &events{}); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("missing target folder: %v", err)
	}
	req.Inputs[0].Metadata.Training = json.RawMessage(`{"chat_template":`)
	if _, err := comp().Run(t.Context(), req, &events{}); err == nil || !strings.Contains(err.Error(), "training metadata") {
		t.Errorf("broken training metadata: %v", err)
	}
}

func TestConformance(t *testing.T) {
	plugintest.Run(t, &sdk.Plugin{Name: "builtin", Version: "test", Components: runtime.Components()}, plugintest.Case{
		Component: "check.runtime",
		Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			return json.RawMessage(`{"target":"merge.support","runtimes":["vllm-mistral","mistral-inference"]}`), []specv1.Input{target(t, dir)}
		},
	})
}

// TestValidateLayout: with the target's metadata known, runtimes its layout
// cannot serve are refused before the build.
func TestValidateLayout(t *testing.T) {
	for _, tc := range []struct {
		kind, format, runtime string
		bad                   bool
	}{
		{"merge", "mistral", "vllm-mistral", false},
		{"merge", "hf", "vllm-mistral", true},
		{"model", "mistral", "transformers", true},
		{"model", "hf", "transformers", false},
		{"adapter", "", "vllm-lora", false},
		{"adapter", "", "transformers", true},
		{"merge", "mistral", "vllm-lora", true},
		{"merge", "", "mistral-inference", false},
	} {
		cfg, _ := json.Marshal(map[string]any{"target": "merge.x", "runtimes": []string{"vllm-lora", tc.runtime}})
		if tc.runtime == "vllm-lora" {
			cfg, _ = json.Marshal(map[string]any{"target": "merge.x", "runtimes": []string{tc.runtime}})
		}
		in := specv1.Input{Step: "merge.x", Attr: "target", Metadata: specv1.Metadata{Kind: tc.kind, Format: tc.format}}
		ds := comp().Validate(context.Background(), &specv1.ValidateRequest{Config: cfg, Inputs: []specv1.Input{in}})
		got := false
		for _, d := range ds {
			if d.Summary == tc.runtime+" cannot serve merge.x" {
				got = true
			}
		}
		if got != tc.bad {
			t.Errorf("%s %s with %s: diagnostics %+v", tc.kind, tc.format, tc.runtime, ds)
		}
	}
}
