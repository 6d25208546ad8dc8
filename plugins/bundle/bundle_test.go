package bundle

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/mlbom"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type events struct{ logs []string }

func (e *events) Log(m string)                  { e.logs = append(e.logs, m) }
func (e *events) Progress(_, _ int64, _ string) {}
func (e *events) Diagnostic(specv1.Diagnostic)  {}

func writeDir(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(f), 0o755)
		if err := os.WriteFile(f, []byte(c), 0o444); err != nil {
			t.Fatal(err)
		}
	}
}

var mergeMeta = specv1.Metadata{Kind: "merge", ID: "support", Architecture: "mistral", DType: "bf16",
	License: "Apache-2.0", Notices: []string{"Built on Mistral 7B."},
	Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-7b-v0.3", License: "Apache-2.0", Digest: "sha256:" + strings.Repeat("b", 64)}}}

// run runs the bundle step in a fresh folder tree under root.
func run(t *testing.T, root string, cfg map[string]any, from specv1.Input, more ...specv1.Input) (*specv1.Metadata, string) {
	t.Helper()
	return runType(t, root, "modelpack", cfg, from, more...)
}

// runType runs the bundle step of type typ.
func runType(t *testing.T, root, typ string, cfg map[string]any, from specv1.Input, more ...specv1.Input) (*specv1.Metadata, string) {
	t.Helper()
	raw, _ := json.Marshal(cfg)
	out := filepath.Join(root, "out")
	os.MkdirAll(out, 0o755)
	req := &specv1.RunRequest{Kind: "bundle", Type: typ, Step: "bundle.release", Config: raw,
		Inputs: append([]specv1.Input{from}, more...), OutputDir: out, ScratchDir: filepath.Join(root, "scratch"),
		Build: &specv1.BuildInfo{CkptVersion: "0.1.0-test", SpecDigest: "sha256:" + strings.Repeat("c", 64),
			Variables: map[string]string{"registry": "localhost:5000"},
			Steps:     []specv1.BuildStep{{Step: "merge.support", ArtifactDigest: from.Digest, Plugin: "builtin", PluginVersion: "0.1.0", PluginDigest: "sha256:" + strings.Repeat("d", 64)}}}}
	var c sdk.Component
	for _, x := range Components() {
		if x.Describe().Type == typ {
			c = x
		}
	}
	m, err := c.Run(context.Background(), req, &events{})
	if err != nil {
		t.Fatal(err)
	}
	return m, out
}

func mergeInput(t *testing.T, root string, weights string) specv1.Input {
	dir := filepath.Join(root, "merge")
	writeDir(t, dir, map[string]string{"consolidated.safetensors": weights, "params.json": `{"dim":8}`, "tekken.json": `{}`})
	return specv1.Input{Step: "merge.support", Attr: "from", Dir: dir, Digest: "sha256:" + strings.Repeat("e", 64), Metadata: mergeMeta}
}

func TestBundleLayout(t *testing.T) {
	root := t.TempDir()
	gate := filepath.Join(root, "eval")
	writeDir(t, gate, map[string]string{"eval-report.json": `{"valid": 1.0}`})
	m, out := run(t, root, map[string]any{"from": "merge.support", "name": "support-assistant"},
		mergeInput(t, root, "weights"), specv1.Input{Step: "eval.format", Attr: "gate", Dir: gate, Metadata: specv1.Metadata{Kind: "eval"}})
	if m.Kind != "bundle" || m.License != "Apache-2.0" || len(m.Lineage) != 1 || len(m.Notices) != 1 ||
		m.Outputs["name"] != "support-assistant" || !strings.HasPrefix(m.Outputs["digest"], "sha256:") {
		t.Fatalf("metadata %+v", m)
	}
	rep, err := remote.Inspect(context.Background(), remote.Ref{Dir: out, Reference: Tag}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Digest != m.Outputs["digest"] || rep.Format != modelpack.FormatModelPack {
		t.Errorf("inspect %s %s", rep.Digest, rep.Format)
	}
	kinds := map[string]string{}
	for _, f := range rep.Files {
		kinds[f.Path] = f.MediaType
	}
	for p, mt := range map[string]string{
		"consolidated.safetensors": specv1.MediaTypeModelWeightRaw, "params.json": specv1.MediaTypeModelConfigRaw,
		"evals/eval.format/eval-report.json": specv1.MediaTypeModelDocRaw, "LICENSE": specv1.MediaTypeModelDocRaw,
		"NOTICE": specv1.MediaTypeModelDocRaw,
	} {
		if kinds[p] != mt {
			t.Errorf("%s: media type %q, want %q (files %v)", p, kinds[p], mt, kinds)
		}
	}
	if len(rep.Referrers) != 3 || rep.Referrers[0].ArtifactType != specv1.ArtifactTypeLicenseReport ||
		rep.Referrers[1].ArtifactType != mlbom.MediaType || rep.Referrers[2].ArtifactType != specv1.ArtifactTypeProvenance {
		t.Fatalf("referrers %+v", rep.Referrers)
	}
	if strings.Join(rep.Referrers[0].Files, ",") != "license-report.json,license-report.spdx.json" {
		t.Errorf("license report files %v", rep.Referrers[0].Files)
	}
	checkProvenance(t, out, rep.Referrers[2].Digest, m.Outputs["digest"])
	checkMLBOM(t, out, rep)
}

func checkProvenance(t *testing.T, layout, refDigest, subject string) {
	t.Helper()
	pulled := t.TempDir()
	if _, err := remote.Pull(context.Background(), remote.Ref{Dir: layout, Reference: refDigest}, pulled, remote.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(pulled, "provenance.intoto.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st modelpack.Statement
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != modelpack.StatementType || st.PredicateType != "https://slsa.dev/provenance/v1" ||
		"sha256:"+st.Subject[0].Digest["sha256"] != subject {
		t.Errorf("statement %s", b)
	}
	def := st.Predicate.BuildDefinition
	if def.ExternalParameters.Variables["registry"] != "localhost:5000" || def.ExternalParameters.Spec.Digest["sha256"] != strings.Repeat("c", 64) ||
		!strings.Contains(string(b), strings.Repeat("d", 64)) || st.Predicate.RunDetails.Builder.Version["ckpt"] != "0.1.0-test" {
		t.Errorf("provenance lacks spec, variables, plugin digest or version: %s", b)
	}
}

func TestBundleDeterministicAcrossFolders(t *testing.T) {
	cfg := map[string]any{"from": "merge.support", "name": "support", "compression": "zstd", "text_compression": "zstd"}
	r1, r2 := t.TempDir(), t.TempDir()
	a, _ := run(t, r1, cfg, mergeInput(t, r1, "weights"))
	b, _ := run(t, r2, cfg, mergeInput(t, r2, "weights"))
	if a.Outputs["digest"] != b.Outputs["digest"] {
		t.Fatalf("same inputs, two folders: %s vs %s", a.Outputs["digest"], b.Outputs["digest"])
	}
}

func TestBundleAdapterSubject(t *testing.T) {
	root := t.TempDir()
	base := mergeInput(t, root, "base weights")
	base.Attr, base.Step, base.Metadata.Kind = "base", "model.base", "model"
	adir := filepath.Join(root, "adapter")
	writeDir(t, adir, map[string]string{"lora.safetensors": "lora", "params.json": `{"r": 8}`})
	adapter := specv1.Input{Step: "adapter.support", Attr: "from", Dir: adir, Digest: "sha256:" + strings.Repeat("f", 64),
		Metadata: specv1.Metadata{Kind: "adapter", ID: "support-lora", License: "Apache-2.0", DType: "bf16",
			Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-7b-v0.3", Digest: base.Digest, Step: "model.base"}}}}
	m, out := run(t, root, map[string]any{"from": "adapter.support", "name": "support-lora", "base": "model.base"}, adapter, base)
	rep, err := remote.Inspect(context.Background(), remote.Ref{Dir: out, Reference: Tag}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	baseRep, err := remote.Inspect(context.Background(), remote.Ref{Dir: out, Reference: TagBase}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(baseRep.Warnings) != 0 {
		t.Errorf("inspect of the base: %v (its referrers are the adapter's)", baseRep.Warnings)
	}
	if rep.Subject == "" || rep.Subject != baseRep.Digest || rep.Annotations[specv1.AnnotationBaseManifest] != baseRep.Digest {
		t.Fatalf("adapter subject %q, base %q", rep.Subject, baseRep.Digest)
	}
	if len(rep.Files) != 4 || rep.Digest != m.Outputs["digest"] { // lora, params, LICENSE + NOTICE? see lic.Files
		t.Logf("adapter files %+v", rep.Files)
	}
	for _, f := range rep.Files {
		if f.Path == "consolidated.safetensors" {
			t.Error("base weights inside the adapter manifest")
		}
	}
	if len(rep.Lineage) != 2 || rep.Lineage[0].Role != "adapter" || rep.Lineage[0].Digest != adapter.Digest ||
		rep.Lineage[0].ID != "support-lora" || rep.Lineage[1].Role != "base" {
		t.Errorf("adapter lineage %+v: want the adapter itself, then its base", rep.Lineage)
	}
}

func TestBundleValidate(t *testing.T) {
	c := Components()[0]
	for cfg, want := range map[string]string{
		`{"compression":"lz4"}`:     "compression",
		`{"text_compression":"xz"}`: "text_compression",
		`{"compression":"float"}`:   "compression",
		`{"media_types":"oci"}`:     "media_types",
	} {
		ds := c.Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(cfg),
			Inputs: []specv1.Input{{Attr: "from", Metadata: specv1.Metadata{DType: "fp32"}}}})
		if len(ds) != 1 || ds[0].Path[0] != want {
			t.Errorf("%s: %+v", cfg, ds)
		}
	}
	if ds := c.Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(`{"compression":"float"}`),
		Inputs: []specv1.Input{{Attr: "from", Metadata: specv1.Metadata{DType: "bf16"}}}}); len(ds) != 0 {
		t.Errorf("bf16 float: %+v", ds)
	}
}
