package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// mergeSpec is the quickstart's base, adapter and merge, without its
// checks, eval, bundle and push.
const mergeSpec = `
model "dir" "base" {
  path    = "./base"
  id      = "mistral-7b-instruct-v0.3"
  license = "Apache-2.0"
}

adapter "peft" "support" {
  path    = "./adapters/support"
  base    = model.base
  id      = "support-lora-2026-10-01"
  license = "Apache-2.0"
}

merge "lora" "support" {
  base     = model.base
  adapters = [adapter.support]
  dtype    = "bf16"
  id       = "support-assistant-2026-11-27"
}
`

// ggufSpec exports the quickstart's merge in three types and its adapter.
const ggufSpec = mergeSpec + `
export "gguf" "release" {
  from  = merge.support
  name  = "support-assistant"
  types = ["bf16", "q8_0", "q4_k_m"]
}

export "gguf" "lora" {
  from = adapter.support
  base = model.base
  name = "support"
}
`

// ggufBaseSpec is ggufSpec with the base model's Q8_0 export, for bundles
// of the adapter on top of it.
const ggufBaseSpec = ggufSpec + `
export "gguf" "base" {
  from  = model.base
  name  = "mistral-tiny"
  types = ["q8_0"]
}
`

// ggufProject synthesizes the quickstart's checkpoints with spec next to them.
func ggufProject(t *testing.T, spec string) string {
	t.Helper()
	dir := quickstartProject(t)
	if err := os.Remove(filepath.Join(dir, "quickstart.ckpt.hcl")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gguf.ckpt.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildArtifacts builds dir and returns each finished step's event.
func buildArtifacts(t *testing.T, dir string) map[string]run.Event {
	t.Helper()
	code, out, errOut := ckptProc(t, nil, "build", dir, "--json")
	evs := map[string]run.Event{}
	for _, e := range parseEvents(t, out) {
		if e.Type == run.EventStepFinished {
			evs[e.Step] = e
		}
	}
	if code != 0 {
		t.Logf("build: exit %d\n%s", code, errOut)
	}
	return evs
}

func TestBuildExportGGUF(t *testing.T) {
	a, b := ggufProject(t, ggufSpec), ggufProject(t, ggufSpec)
	first, second := buildArtifacts(t, a), buildArtifacts(t, b)
	for _, step := range []string{"export.release", "export.lora"} {
		if first[step].Status != run.StatusOK || first[step].Artifact == "" {
			t.Fatalf("%s: %+v", step, first[step])
		}
		if first[step].Artifact != second[step].Artifact {
			t.Errorf("%s: artifact %s in one folder, %s in another", step, first[step].Artifact, second[step].Artifact)
		}
	}
	out := filepath.Join(t.TempDir(), "gguf")
	if code, _, errOut := ckptRun(t, "export", "--dir", a, "export.release", out); code != 0 {
		t.Fatalf("ckpt export: %s", errOut)
	}
	for name, ftype := range map[string]uint32{"support-assistant-BF16.gguf": 32, "support-assistant-Q8_0.gguf": 7, "support-assistant-Q4_K_M.gguf": 15} {
		f, err := gguf.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := f.Get("general.file_type"); v != ftype {
			t.Errorf("%s: general.file_type %v, want %d", name, v, ftype)
		}
		if v, _ := f.Get("general.license"); v != "Apache-2.0" {
			t.Errorf("%s: general.license %v", name, v)
		}
		if v, _ := f.Get("general.base_model.0.name"); v != "mistral-7b-instruct-v0.3" {
			t.Errorf("%s: general.base_model.0.name %v", name, v)
		}
	}
	lora := filepath.Join(t.TempDir(), "lora")
	if code, _, errOut := ckptRun(t, "export", "--dir", a, "export.lora", lora); code != 0 {
		t.Fatalf("ckpt export: %s", errOut)
	}
	f, err := gguf.ReadFile(filepath.Join(lora, "support-lora-F32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get("general.type"); v != "adapter" {
		t.Errorf("adapter export: general.type %v", v)
	}
}

func TestBuildExportGGUFRefusesVision(t *testing.T) {
	dir := t.TempDir()
	if err := synth.Model(context.Background(), filepath.Join(dir, "base"), synth.ModelOptions{Seed: 1, Vision: true}); err != nil {
		t.Fatal(err)
	}
	spec := `
model "dir" "base" {
  path    = "./base"
  id      = "pixtral-tiny-v1"
  license = "Apache-2.0"
}

export "gguf" "release" {
  from = model.base
}
`
	if err := os.WriteFile(filepath.Join(dir, "gguf.ckpt.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := ckptProc(t, nil, "build", dir, "--json")
	evs := map[string]run.Event{}
	for _, e := range parseEvents(t, out) {
		if e.Type == run.EventStepFinished {
			evs[e.Step] = e
		}
	}
	if code == 0 || evs["export.release"].Status == run.StatusOK || evs["export.release"].Artifact != "" {
		t.Fatalf("build of a vision model's export: exit %d %+v", code, evs["export.release"])
	}
	if !strings.Contains(out+errOut, "params.json") || !strings.Contains(out+errOut, "vision encoder") {
		t.Errorf("the error does not name the file and what is missing:\n%s\n%s", out, errOut)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, ".ckpt", "tmp")); len(left) != 0 {
		t.Errorf("temporary step folders left: %v", left)
	}
}

func TestBuildExportGGUFTypes(t *testing.T) {
	dir := ggufProject(t, strings.Replace(ggufSpec, `"q4_k_m"]`, `"q5_x"]`, 1))
	code, out, errOut := ckptProc(t, nil, "build", dir)
	if code == 0 || !strings.Contains(out+errOut, `unknown GGUF type "q5_x"`) {
		t.Errorf("build with an unknown type: exit %d\n%s%s", code, out, errOut)
	}
}
