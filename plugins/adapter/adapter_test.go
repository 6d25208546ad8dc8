package adapter

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type events struct{ diags []specv1.Diagnostic }

func (e *events) Log(string)                     {}
func (e *events) Progress(int64, int64, string)  {}
func (e *events) Diagnostic(d specv1.Diagnostic) { e.diags = append(e.diags, d) }

func setup(t *testing.T, f peft.Format) (base, ad string) {
	t.Helper()
	dir := t.TempDir()
	base, ad = filepath.Join(dir, "base"), filepath.Join(dir, "ad")
	if err := synth.Model(t.Context(), base, synth.ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := synth.Adapter(t.Context(), ad, synth.AdapterOptions{Base: base, Format: f, Rank: 4, Alpha: 8}); err != nil {
		t.Fatal(err)
	}
	return base, ad
}

func run(t *testing.T, typ string, cfg map[string]any, baseDir string) (*specv1.Metadata, string, *events, error) {
	raw, _ := json.Marshal(cfg)
	out := t.TempDir()
	ev := &events{}
	var c = Components()[0]
	if typ == "mistral-finetune" {
		c = Components()[1]
	}
	md, err := c.Run(context.Background(), &specv1.RunRequest{Kind: "adapter", Type: typ, Step: "adapter.support", Config: raw,
		OutputDir: out, ScratchDir: t.TempDir(), Inputs: []specv1.Input{{Step: "model.base", Attr: "base", Dir: baseDir,
			Digest: "sha256:b", Metadata: specv1.Metadata{Kind: "model", ID: "tiny-2511", License: "Apache-2.0", Notices: []string{"N"},
				Lineage: []specv1.Lineage{{Role: "dataset", ID: "pretrain"}}}}}}, ev)
	return md, out, ev, err
}

func TestRunPEFT(t *testing.T) {
	base, ad := setup(t, peft.FormatPEFT)
	md, out, _, err := run(t, "peft", map[string]any{"path": ad, "base": "model.base", "id": "support-v1",
		"training": map[string]any{"datasets": []map[string]string{{"id": "tickets@2026-10", "license": "LicenseRef-internal"}}, "lr": 1e-4}}, base)
	if err != nil {
		t.Fatal(err)
	}
	want := []specv1.Lineage{{Role: "base", ID: "tiny-2511", Digest: "sha256:b", License: "Apache-2.0", Step: "model.base"},
		{Role: "dataset", ID: "pretrain"}, {Role: "dataset", ID: "tickets@2026-10", License: "LicenseRef-internal"}}
	if md.Kind != "adapter" || md.ID != "support-v1" || md.License != "Apache-2.0" || len(md.Lineage) != 3 || len(md.Notices) != 1 {
		t.Fatalf("metadata %+v", md)
	}
	for i := range want {
		if md.Lineage[i] != want[i] {
			t.Errorf("lineage[%d] = %+v, want %+v", i, md.Lineage[i], want[i])
		}
	}
	var x Extra
	json.Unmarshal(md.Extra, &x)
	if x != (Extra{Rank: 4, Alpha: 8, Format: "peft", Basis: "hf"}) {
		t.Errorf("extra %+v", x)
	}
	if !strings.Contains(string(md.Training), "tickets@2026-10") {
		t.Errorf("training %s", md.Training)
	}
	for _, f := range []string{"adapter_config.json", "adapter_model.safetensors"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestRunMistralFinetune(t *testing.T) {
	base, ad := setup(t, peft.FormatMistralFinetune)
	md, _, _, err := run(t, "mistral-finetune", map[string]any{"path": ad, "base": "model.base", "license": "MIT"}, base)
	if err != nil {
		t.Fatal(err)
	}
	var x Extra
	json.Unmarshal(md.Extra, &x)
	if x.Basis != "native" || x.Format != "mistral-finetune" || x.Alpha != 8 || md.License != "MIT" {
		t.Errorf("metadata %+v extra %+v", md, x)
	}
}

func TestRunRefusesAndWritesNothing(t *testing.T) {
	base, ad := setup(t, peft.FormatPEFT)
	other := filepath.Join(t.TempDir(), "big")
	synth.Model(t.Context(), other, synth.ModelOptions{Dim: 128, Hidden: 256})
	cfg := filepath.Join(ad, "adapter_config.json")
	b, _ := os.ReadFile(cfg)
	for name, tc := range map[string]struct {
		base, config string
		want         []string
	}{
		"shape mismatch": {other, string(b), []string{"adapter_model.safetensors", "lora_A.weight", "want [4 256]"}},
		"dora":           {base, strings.Replace(string(b), `"use_dora": false`, `"use_dora": true`, 1), []string{"adapter_config.json", "DoRA"}},
		// ckpt check --runtime vllm-lora refuses these; so does the build.
		"r = 10^12": {base, strings.Replace(string(b), `"r": 4,`, `"r": 1000000000000,`, 1), []string{ad, "adapter_config.json", "lora.rank", "above 512"}},
		"no target": {base, regexp.MustCompile(`(?s)"target_modules": \[.*?\]`).ReplaceAllString(string(b), `"target_modules": []`), []string{ad, "lora.target_modules"}},
	} {
		os.WriteFile(cfg, []byte(tc.config), 0o644)
		_, out, ev, err := run(t, "peft", map[string]any{"path": ad, "base": "model.base"}, tc.base)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %q", name, err, w)
			}
		}
		if len(ev.diags) == 0 {
			t.Errorf("%s: no diagnostic", name)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("%s: output written", name)
		}
	}
	ds := Components()[0].Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(`{"path":"x","base":"model.b","basis":"sideways"}`)})
	if len(ds) != 1 || ds[0].Path[0] != "basis" {
		t.Errorf("basis: %+v", ds)
	}
}
