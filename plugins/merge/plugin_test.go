package merge

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type events struct {
	progress int
	diags    []specv1.Diagnostic
}

func (e *events) Log(string)                     {}
func (e *events) Progress(int64, int64, string)  { e.progress++ }
func (e *events) Diagnostic(d specv1.Diagnostic) { e.diags = append(e.diags, d) }

// synthesize writes a synthetic base and two adapters trained on it.
func synthesize(t *testing.T) (base, a1, a2 string) {
	t.Helper()
	dir := t.TempDir()
	base, a1, a2 = filepath.Join(dir, "base"), filepath.Join(dir, "a1"), filepath.Join(dir, "a2")
	if err := synth.Model(t.Context(), base, synth.ModelOptions{Seed: 30}); err != nil {
		t.Fatal(err)
	}
	for p, o := range map[string]synth.AdapterOptions{a1: {Seed: 31}, a2: {Seed: 32, Format: peft.FormatMistralFinetune}} {
		o.Base = base
		if err := synth.Adapter(t.Context(), p, o); err != nil {
			t.Fatal(err)
		}
	}
	return base, a1, a2
}

func pluginInputs(t *testing.T) []specv1.Input {
	baseDir, a1, a2 := synthesize(t)
	base := specv1.Lineage{Role: "base", ID: "tiny-2511", Digest: "sha256:base", License: "Apache-2.0", Step: "model.base"}
	return []specv1.Input{
		{Step: "model.base", Attr: "base", Dir: baseDir, Digest: "sha256:base", Metadata: specv1.Metadata{Kind: "model", ID: "tiny-2511",
			Format: "mistral", Architecture: "mistral", DType: "bf16", Params: json.RawMessage(`{"dim":64}`), License: "Apache-2.0", Notices: []string{"base notice"}}},
		{Step: "adapter.a1", Attr: "adapters", Dir: a1, Digest: "sha256:a1", Metadata: specv1.Metadata{Kind: "adapter", ID: "a1",
			License: "MIT OR Apache-2.0", Notices: []string{"base notice", "a1 notice"}, Training: json.RawMessage(`{"lr":0.0001}`),
			Lineage: []specv1.Lineage{base, {Role: "dataset", ID: "tickets", License: "CC-BY-4.0"}},
			Extra:   json.RawMessage(`{"rank":8,"alpha":16,"format":"peft","basis":"hf"}`)}},
		{Step: "adapter.a2", Attr: "adapters", Dir: a2, Digest: "sha256:a2", Metadata: specv1.Metadata{Kind: "adapter", ID: "a2",
			License: "Apache-2.0", Lineage: []specv1.Lineage{base}, Extra: json.RawMessage(`{"rank":8,"alpha":16,"format":"mistral-finetune","basis":"native"}`)}},
	}
}

func runPlugin(t *testing.T, cfg string, inputs []specv1.Input) (*specv1.Metadata, string, *events, error) {
	out := t.TempDir()
	ev := &events{}
	md, err := Components()[0].Run(context.Background(), &specv1.RunRequest{Kind: "merge", Type: "lora", Step: "merge.support",
		Config: json.RawMessage(cfg), Inputs: inputs, OutputDir: out, ScratchDir: t.TempDir()}, ev)
	return md, out, ev, err
}

func TestPluginMetadata(t *testing.T) {
	md, out, ev, err := runPlugin(t, `{"base":"model.base","adapters":["adapter.a1","adapter.a2"],"weights":[0.5,1]}`, pluginInputs(t))
	if err != nil {
		t.Fatal(err)
	}
	if md.Kind != "merge" || md.ID != "tiny-2511-merged" || md.Format != "mistral" || md.DType != "bf16" || string(md.Params) != `{"dim":64}` {
		t.Errorf("metadata %+v", md)
	}
	if md.License != "Apache-2.0 AND (MIT OR Apache-2.0)" {
		t.Errorf("license %q", md.License)
	}
	if strings.Join(md.Notices, "|") != "base notice|a1 notice" {
		t.Errorf("notices %v", md.Notices)
	}
	var roles []string
	for _, l := range md.Lineage {
		roles = append(roles, l.Role+":"+l.ID)
	}
	if got := strings.Join(roles, ","); got != "base:tiny-2511,adapter:a1,dataset:tickets,adapter:a2" {
		t.Errorf("lineage %s", got)
	}
	if !strings.Contains(string(md.Training), `"lr":0.0001`) || !strings.Contains(string(md.Training), "adapter.a2") {
		t.Errorf("training %s", md.Training)
	}
	if ev.progress != 21 {
		t.Errorf("%d progress events, want one per tensor (21)", ev.progress)
	}
	if _, err := os.Stat(filepath.Join(out, "consolidated.safetensors")); err != nil {
		t.Error(err)
	}
}

func TestPluginErrorsWriteNothing(t *testing.T) {
	in := pluginInputs(t)
	// An adapter whose module is missing from the base: rename a tensor.
	p := filepath.Join(in[1].Dir, "adapter_model.safetensors")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "layers.1.self_attn.v_proj", "layers.1.self_attn.x_proj")), 0o644)
	_, out, _, err := runPlugin(t, `{"base":"model.base","adapters":["adapter.a1","adapter.a2"]}`, in)
	if err == nil || !strings.Contains(err.Error(), "x_proj") || !strings.Contains(err.Error(), "adapter_model.safetensors") {
		t.Fatalf("got %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("%d files left in the output", len(ents))
	}
	for cfg, path := range map[string]string{
		`{"base":"model.base","adapters":["adapter.a1","adapter.a2"],"weights":[1]}`:       "weights",
		`{"base":"model.base","adapters":["adapter.a1","adapter.a2"],"dtype":"int8"}`:      "dtype",
		`{"base":"model.base","adapters":["adapter.a1","adapter.a2"],"shard_size":"lots"}`: "shard_size",
		`{"base":"model.base","adapters":["adapter.a1","adapter.a2"],"parallelism":-1}`:    "parallelism",
		`{"base":"model.base","adapters":["adapter.a1"]}`:                                  "",
	} {
		ds := Components()[0].Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(cfg)})
		if path == "" {
			if len(ds) != 0 {
				t.Errorf("%s: %+v", cfg, ds)
			}
			continue
		}
		if len(ds) != 1 || ds[0].Path[0] != path {
			t.Errorf("%s: %+v", cfg, ds)
		}
	}
	in[2].Metadata.Lineage[0].Digest = "sha256:other"
	ds := Components()[0].Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(`{"base":"model.base","adapters":["adapter.a1","adapter.a2"]}`), Inputs: in})
	if len(ds) != 1 || strings.Join(ds[0].Path, ".") != "adapters.1" {
		t.Errorf("foreign base: %+v", ds)
	}
}

// TestPluginRefusesWhatCheckRefuses: an adapter artifact whose config ckpt
// check --runtime vllm-lora refuses (empty target_modules) is refused by the
// merge's validation and run, on its adapters path, before any output.
func TestPluginRefusesWhatCheckRefuses(t *testing.T) {
	in := pluginInputs(t)
	p := filepath.Join(in[1].Dir, "adapter_config.json")
	b, _ := os.ReadFile(p)
	var m map[string]any
	json.Unmarshal(b, &m)
	m["target_modules"] = []string{}
	b, _ = json.Marshal(m)
	os.WriteFile(p, b, 0o644)
	cfg := `{"base":"model.base","adapters":["adapter.a1","adapter.a2"]}`
	ds := Components()[0].Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(cfg), Inputs: in})
	if len(ds) != 1 || strings.Join(ds[0].Path, ".") != "adapters.0" || ds[0].Code != "lora.target_modules" {
		t.Errorf("validate: %+v", ds)
	}
	_, out, _, err := runPlugin(t, cfg, in)
	if err == nil || !strings.Contains(err.Error(), "adapter.a1") || !strings.Contains(err.Error(), "target_modules is empty") {
		t.Fatalf("run: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("%d files left in the output", len(ents))
	}
}
