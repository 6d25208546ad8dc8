package push

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/plugins/bundle"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type events struct{}

func (events) Log(string)                    {}
func (events) Progress(_, _ int64, _ string) {}
func (events) Diagnostic(specv1.Diagnostic)  {}

func stepOf(t *testing.T, typ string) sdk.Component {
	for _, c := range Components() {
		if c.Describe().Type == typ {
			return c
		}
	}
	t.Fatalf("no push %q", typ)
	return nil
}

func writeDir(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(f), 0o755)
		os.Remove(f)
		if err := os.WriteFile(f, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// bundleOf runs the bundle step over files and returns its output as a push input.
func bundleOf(t *testing.T, files map[string]string, m specv1.Metadata, base *specv1.Input) specv1.Input {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "model")
	writeDir(t, dir, files)
	inputs := []specv1.Input{{Step: "adapter.a", Attr: "from", Dir: dir, Digest: "sha256:" + strings.Repeat("1", 64), Metadata: m}}
	cfg := `{"from":"adapter.a","name":"tiny"}`
	if base != nil {
		inputs = append(inputs, *base)
		cfg = `{"from":"adapter.a","name":"tiny","base":"model.base"}`
	}
	out := filepath.Join(root, "out")
	os.MkdirAll(out, 0o755)
	req := &specv1.RunRequest{Kind: "bundle", Type: "modelpack", Step: "bundle.tiny", Config: json.RawMessage(cfg),
		Inputs: inputs, OutputDir: out, ScratchDir: filepath.Join(root, "scratch")}
	bm, err := bundle.Components()[0].Run(context.Background(), req, events{})
	if err != nil {
		t.Fatal(err)
	}
	return specv1.Input{Step: "bundle.tiny", Attr: "bundle", Dir: out, Digest: "sha256:" + strings.Repeat("2", 64), Metadata: *bm}
}

func push(t *testing.T, typ string, cfg map[string]any, in specv1.Input) (*specv1.Metadata, error) {
	raw, _ := json.Marshal(cfg)
	req := &specv1.RunRequest{Kind: "push", Type: typ, Step: "push.release", Config: raw, Inputs: []specv1.Input{in},
		OutputDir: t.TempDir(), ScratchDir: t.TempDir()}
	return stepOf(t, typ).Run(context.Background(), req, events{})
}

// TestPushTransportPlainHTTP: ckpt push --plain-http reaches the step as
// RunRequest.Transport, without a plain_http attribute in the spec.
func TestPushTransportPlainHTTP(t *testing.T) {
	reg := testenv.NewRegistry(t)
	in := bundleOf(t, tinyModel, licensed, nil)
	ref := reg.Host + "/models/tiny:transport"
	raw, _ := json.Marshal(map[string]any{"bundle": "bundle.tiny", "ref": ref})
	req := &specv1.RunRequest{Kind: "push", Type: "registry", Step: "push.release", Config: raw, Inputs: []specv1.Input{in},
		OutputDir: t.TempDir(), ScratchDir: t.TempDir()}
	if _, err := stepOf(t, "registry").Run(context.Background(), req, events{}); err == nil {
		t.Fatal("pushed over HTTPS to a plain HTTP registry")
	}
	req.Transport = &specv1.Transport{PlainHTTP: true}
	if m, err := stepOf(t, "registry").Run(context.Background(), req, events{}); err != nil || m.Outputs["ref"] != ref {
		t.Fatalf("push with Transport.PlainHTTP: %v", err)
	}
}

var licensed = specv1.Metadata{Kind: "model", ID: "tiny", License: "Apache-2.0", DType: "bf16"}

var tinyModel = map[string]string{"model.safetensors": "weights", "params.json": `{"dim":8}`}

func TestPushRegistryRoundTrip(t *testing.T) {
	reg := testenv.NewRegistry(t)
	in := bundleOf(t, tinyModel, licensed, nil)
	ref := reg.Host + "/models/tiny:v1"
	m, err := push(t, "registry", map[string]any{"bundle": "bundle.tiny", "ref": ref, "plain_http": true}, in)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != "push" || m.Outputs["ref"] != ref || m.Outputs["digest"] != in.Metadata.Outputs["digest"] {
		t.Fatalf("metadata %+v", m)
	}
	out := t.TempDir()
	r, _ := remote.ParseRef(ref)
	if _, err := remote.Pull(context.Background(), r, out, remote.PullOptions{Options: remote.Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	for p, want := range tinyModel {
		if b, _ := os.ReadFile(filepath.Join(out, p)); string(b) != want {
			t.Errorf("%s: %q", p, b)
		}
	}
}

func TestPushRefusesUnlicensed(t *testing.T) {
	in := bundleOf(t, tinyModel, specv1.Metadata{Kind: "model", ID: "tiny"}, nil)
	dst := filepath.Join(t.TempDir(), "layout")
	_, err := push(t, "layout", map[string]any{"bundle": "bundle.tiny", "path": dst}, in)
	if !errors.Is(err, lic.ErrNoLicense) || !strings.Contains(err.Error(), "or allow_unlicensed = true to publish anyway") ||
		strings.Count(err.Error(), "publish anyway") != 1 {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Error("refused push wrote the layout")
	}
	ds := stepOf(t, "layout").Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(`{"path":"/x"}`), Inputs: []specv1.Input{in}})
	if len(ds) != 1 || ds[0].Code != "unlicensed" {
		t.Errorf("validate: %+v", ds)
	}
	m, err := push(t, "layout", map[string]any{"bundle": "bundle.tiny", "path": dst, "tag": "v1", "allow_unlicensed": true}, in)
	if err != nil {
		t.Fatal(err)
	}
	if m.Outputs["ref"] != "oci:"+dst+":v1" {
		t.Errorf("ref %q", m.Outputs["ref"])
	}
}

func TestPushInvalidRef(t *testing.T) {
	in := bundleOf(t, tinyModel, licensed, nil)
	if _, err := push(t, "registry", map[string]any{"ref": "Not A Ref"}, in); err == nil {
		t.Fatal("no error")
	}
	ds := stepOf(t, "registry").Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(`{"ref":"bad ref"}`)})
	if len(ds) != 1 || ds[0].Path[0] != "ref" {
		t.Errorf("validate: %+v", ds)
	}
}

// TestRepushChangedAdapterUploadsChangedBlobs: an adapter bundle (with its
// base as the subject) is pushed; the adapter changes, the bundle is rebuilt
// and pushed again: only the blobs that changed are uploaded.
func TestRepushChangedAdapterUploadsChangedBlobs(t *testing.T) {
	reg := testenv.NewRegistry(t)
	baseDir := filepath.Join(t.TempDir(), "base")
	writeDir(t, baseDir, map[string]string{"consolidated.safetensors": strings.Repeat("base weights ", 1000), "params.json": `{"dim":8}`, "tekken.json": `{}`})
	base := specv1.Input{Step: "model.base", Attr: "base", Dir: baseDir, Digest: "sha256:" + strings.Repeat("3", 64), Metadata: specv1.Metadata{Kind: "model", ID: "base", License: "Apache-2.0"}}
	adapter := specv1.Metadata{Kind: "adapter", ID: "support", License: "Apache-2.0"}
	cfg := map[string]any{"bundle": "bundle.tiny", "ref": reg.Host + "/models/support:v1", "plain_http": true}
	v1 := bundleOf(t, map[string]string{"adapter_model.safetensors": "lora v1", "adapter_config.json": `{"r":8}`}, adapter, &base)
	if _, err := push(t, "registry", cfg, v1); err != nil {
		t.Fatal(err)
	}
	first := reg.BlobUploads.Load()
	v2 := bundleOf(t, map[string]string{"adapter_model.safetensors": "lora v2", "adapter_config.json": `{"r":8}`}, adapter, &base)
	if _, err := push(t, "registry", cfg, v2); err != nil {
		t.Fatal(err)
	}
	got := reg.BlobUploads.Load() - first
	want := newBlobs(t, v1.Dir, v2.Dir)
	if got != int64(want) {
		t.Errorf("re-push uploaded %d blobs; %d blobs of the new bundle are new", got, want)
	}
	t.Logf("re-push uploaded %d blobs", got)
	if want == 0 || want > 6 { // weights, config, license report (2), provenance, ML-BOM
		t.Errorf("%d new blobs: the base or unchanged files were not reused", want)
	}
}

// newBlobs counts non-manifest blobs of layout b that layout a lacks.
func newBlobs(t *testing.T, a, b string) int {
	old := map[string]bool{}
	ents, _ := os.ReadDir(filepath.Join(a, "blobs", "sha256"))
	for _, e := range ents {
		old[e.Name()] = true
	}
	manifests := map[string]bool{}
	idx, _ := os.ReadFile(filepath.Join(b, "index.json"))
	var ix struct{ Manifests []struct{ Digest string } }
	json.Unmarshal(idx, &ix)
	for _, m := range ix.Manifests {
		manifests[strings.TrimPrefix(m.Digest, "sha256:")] = true
	}
	n := 0
	ents, _ = os.ReadDir(filepath.Join(b, "blobs", "sha256"))
	for _, e := range ents {
		if !old[e.Name()] && !manifests[e.Name()] {
			n++
		}
	}
	return n
}
