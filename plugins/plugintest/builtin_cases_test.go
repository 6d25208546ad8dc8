package plugintest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/plugins/builtin"
	"github.com/ckpt-dev/ckpt/plugins/plugintest"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// builtinCases give the built-in components real inputs: a synthetic model
// and adapter, taken in by the model and adapter steps themselves, so that
// the suite's run checks (cancellation, output folder only, determinism)
// cover them too.
func builtinCases() []plugintest.Case {
	return []plugintest.Case{
		{Component: "model.dir", Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			return modelConfig(t, dir), nil
		}},
		{Component: "adapter.peft", Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			base := modelInput(t, dir)
			return adapterConfig(t, dir, base), []specv1.Input{base}
		}},
		{Component: "merge.lora", Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			base := modelInput(t, dir)
			ad := runStep(t, "adapter", "peft", "adapter.a", adapterConfig(t, dir, base), []specv1.Input{base}, filepath.Join(dir, "adapter-out"))
			ad.Attr = "adapters"
			return jsonOf(t, map[string]any{"base": "model.base", "adapters": []string{"adapter.a"}}), []specv1.Input{base, ad}
		}},
		{Component: "check.runtime", Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			m := modelInput(t, dir)
			m.Attr = "target"
			return jsonOf(t, map[string]any{"target": "model.base", "runtimes": []string{"vllm-mistral"}}), []specv1.Input{m}
		}},
		{Component: "check.license", Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			m := modelInput(t, dir)
			m.Attr = "target"
			return jsonOf(t, map[string]any{"target": "model.base", "use": "commercial", "redistribute": true}), []specv1.Input{m}
		}},
	}
}

func jsonOf(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// modelConfig synthesizes a tiny native model under dir and returns a
// model "dir" config for it.
func modelConfig(t *testing.T, dir string) json.RawMessage {
	t.Helper()
	src := filepath.Join(dir, "src-model")
	if err := synth.Model(context.Background(), src, synth.ModelOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	return jsonOf(t, map[string]any{"path": src, "id": "tiny-mistral-v1", "license": "Apache-2.0"})
}

// modelInput runs model "dir" and returns its output as input "base".
func modelInput(t *testing.T, dir string) specv1.Input {
	t.Helper()
	return runStep(t, "model", "dir", "model.base", modelConfig(t, dir), nil, filepath.Join(dir, "model-out"))
}

func adapterConfig(t *testing.T, dir string, base specv1.Input) json.RawMessage {
	t.Helper()
	src := filepath.Join(dir, "src-adapter")
	if err := synth.Adapter(context.Background(), src, synth.AdapterOptions{Base: filepath.Join(dir, "src-model"), Seed: 2}); err != nil {
		t.Fatal(err)
	}
	return jsonOf(t, map[string]any{"path": src, "base": base.Step, "id": "tiny-adapter", "license": "Apache-2.0"})
}

// runStep runs a built-in component directly and returns its output as an
// input of attribute "base".
func runStep(t *testing.T, kind, typ, step string, cfg json.RawMessage, inputs []specv1.Input, out string) specv1.Input {
	t.Helper()
	c := builtin.Plugin("test").Component(kind, typ)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	md, err := c.Run(context.Background(), &specv1.RunRequest{Kind: kind, Type: typ, Step: step, Config: cfg,
		Inputs: inputs, OutputDir: out, ScratchDir: t.TempDir()}, nopEvents{})
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return specv1.Input{Step: step, Attr: "base", Dir: out, Digest: "sha256:" + step, Metadata: *md}
}
