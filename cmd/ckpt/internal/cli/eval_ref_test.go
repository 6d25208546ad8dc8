package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/gguf"
	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/plugins/bundle"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// ggufBundle bundles (bundle "modelpack") a folder holding a synthesized
// model exported as an F32 GGUF, and returns the layout and the GGUF.
func ggufBundle(t *testing.T) (layout, file string) {
	t.Helper()
	root := t.TempDir()
	if err := synth.Model(t.Context(), filepath.Join(root, "src"), synth.ModelOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(root, "model", "gguf", "tiny-F32.gguf")
	os.MkdirAll(filepath.Dir(file), 0o755)
	if err := gguf.Export(t.Context(), filepath.Join(root, "src"), file, gguf.Options{Type: gguf.FileF32, Name: "tiny"}); err != nil {
		t.Fatal(err)
	}
	layout = filepath.Join(root, "bundle")
	os.MkdirAll(layout, 0o755)
	req := &specv1.RunRequest{Kind: "bundle", Type: "modelpack", Step: "bundle.tiny", Config: json.RawMessage(`{"from":"export.tiny","name":"tiny"}`),
		Inputs:    []specv1.Input{{Step: "export.tiny", Attr: "from", Dir: filepath.Join(root, "model"), Metadata: specv1.Metadata{Kind: "export", ID: "tiny", License: "Apache-2.0"}}},
		OutputDir: layout, ScratchDir: filepath.Join(root, "scratch")}
	if _, err := bundle.Components()[0].Run(context.Background(), req, nopEvents{}); err != nil {
		t.Fatal(err)
	}
	return layout, file
}

// evalPromptsFile writes the eval prompts into a file.
func evalPromptsFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "prompts.jsonl")
	os.WriteFile(p, []byte(`{"id":"a","messages":[{"role":"user","content":"I was charged twice."}]}
{"id":"b","messages":[{"role":"user","content":"Cancel my plan."}]}
`), 0o644)
	return p
}

// evalRef runs ckpt eval run on ref and returns its report and outputs.
func evalRef(t *testing.T, ref string, args ...string) (*jsoneval.Report, []string) {
	t.Helper()
	out := t.TempDir()
	code, stdout, errOut := ckpt(append([]string{"eval", "run", ref, "--out", out, "--json", "--max-tokens", "6"}, args...)...)
	if code != 0 {
		t.Fatalf("eval run %s: exit %d\n%s%s", ref, code, stdout, errOut)
	}
	rep, err := jsoneval.ReadReport(out)
	if err != nil {
		t.Fatal(err)
	}
	var outputs []string
	for _, row := range readJSONL(t, filepath.Join(out, jsoneval.PredictionsFile)) {
		outputs = append(outputs, string(row["output"]))
	}
	return rep, outputs
}

// TestEvalRunPulledBundle: ckpt eval run on a bundle reference (an OCI
// layout, and the same bundle pushed to Debian's docker-registry) pulls it
// verified, runs its GGUF on Ollama, and binds every prediction to the
// bundle's manifest digest; both answer as the GGUF file itself does.
func TestEvalRunPulledBundle(t *testing.T) {
	bin := testenv.RequireOllama(t)
	layout, file := ggufBundle(t)
	prompts := evalPromptsFile(t)
	run := []string{"--prompts", prompts, "--runner", "ollama", "--ollama", bin}
	code, out, _ := ckpt("inspect", "--json", "oci:"+layout)
	var ins struct{ Digest string }
	if err := json.Unmarshal([]byte(out), &ins); code != 0 || err != nil {
		t.Fatalf("inspect: exit %d %v\n%s", code, err, out)
	}
	answered, _ := jsoneval.DigestTarget(file)
	local, want := evalRef(t, file, run...)
	fromLayout, layoutOut := evalRef(t, "oci:"+layout, run...)
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	ref := reg.Host + "/models/tiny:v1"
	if code, _, errOut := ckpt("push", "--bundle", layout, ref, "--plain-http"); code != 0 {
		t.Fatalf("push: %s", errOut)
	}
	fromRegistry, registryOut := evalRef(t, ref, append(run, "--plain-http")...)
	if strings.Join(layoutOut, "\n") != strings.Join(want, "\n") || strings.Join(registryOut, "\n") != strings.Join(want, "\n") {
		t.Errorf("outputs: layout %q, registry %q, the GGUF itself %q", layoutOut, registryOut, want)
	}
	for name, rep := range map[string]*jsoneval.Report{"layout": fromLayout, "registry": fromRegistry} {
		if rep.Target != ins.Digest || rep.Generation.Answered != answered || !rep.Generation.Bound || rep.Metrics.Total != 2 {
			t.Errorf("%s: target %s (manifest %s), generation %+v", name, rep.Target, ins.Digest, rep.Generation)
		}
		if rep.Generation.PromptsDigest != local.Generation.PromptsDigest || rep.Generation.TemplateVersion != local.Generation.TemplateVersion {
			t.Errorf("%s: generation %+v, the GGUF's own %+v", name, rep.Generation, local.Generation)
		}
	}
	if local.Target != answered {
		t.Errorf("a local GGUF's target is its digest %s, not %s", answered, local.Target)
	}
}

func TestEvalRunRefErrors(t *testing.T) {
	prompts := evalPromptsFile(t)
	for name, tc := range map[string]struct {
		ref  string
		want string
	}{
		"no gguf":       {"oci:" + bundleDir(t, "Apache-2.0"), "holds 0 GGUF files [], want one"},
		"no layout":     {"oci:/nonexistent/layout", "/nonexistent/layout"},
		"no such path":  {"models/absent.gguf", "models/absent.gguf"},
		"absent --file": {"oci:" + bundleDir(t, "Apache-2.0"), "has no file other.gguf"},
	} {
		t.Run(name, func(t *testing.T) {
			args := []string{"eval", "run", tc.ref, "--prompts", prompts, "--runner", "ollama", "--out", t.TempDir()}
			if name == "absent --file" {
				args = append(args, "--file", "other.gguf")
			}
			code, out, errOut := ckpt(args...)
			if code == 0 || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("exit %d, want an error with %q\n%s%s", code, tc.want, out, errOut)
			}
		})
	}
}
