package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/kitops"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
	"github.com/ckpt-dev/ckpt/packaging/remote"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func TestBundleKitOps(t *testing.T) {
	root := t.TempDir()
	from := mergeInput(t, root, "weights")
	gate := filepath.Join(root, "eval")
	writeDir(t, gate, map[string]string{"eval-report.json": `{"valid": 1.0}`})
	cfg := map[string]any{"from": "merge.support", "name": "support-assistant", "version": "1.0"}
	m, out := runType(t, root, "kitops", cfg, from, specv1.Input{Step: "eval.format", Attr: "gate", Dir: gate, Metadata: specv1.Metadata{Kind: "eval"}})
	rep, err := remote.Inspect(context.Background(), remote.Ref{Dir: out, Reference: Tag}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Digest != m.Outputs["digest"] || rep.Format != modelpack.FormatKitOps || rep.License != "Apache-2.0" || len(rep.Referrers) != 3 { // license report, provenance, ML-BOM
		t.Fatalf("inspect %s %s %q referrers %d", rep.Digest, rep.Format, rep.License, len(rep.Referrers))
	}
	want := map[string]string{"consolidated.safetensors": kitops.MediaType("model"), "params.json": kitops.MediaType("modelpart"),
		"tekken.json": kitops.MediaType("modelpart"), "LICENSE": kitops.MediaType("docs"), "NOTICE": kitops.MediaType("docs"),
		"evals/eval.format/eval-report.json": kitops.MediaType("docs")}
	for _, f := range rep.Files {
		if want[f.Path] != f.MediaType {
			t.Errorf("%q: %s, want %q", f.Path, f.MediaType, want[f.Path])
		}
		delete(want, f.Path)
	}
	if len(want) != 0 {
		t.Errorf("not named from the Kitfile: %v", want)
	}
	var kf kitops.Kitfile
	if err := json.Unmarshal(rep.Config, &kf); err != nil || kf.Package.Name != "support-assistant" || kf.Package.License != "Apache-2.0" ||
		kf.Model == nil || kf.Model.Path != "consolidated.safetensors" || kf.Model.Digest == "" || len(kf.Model.Parts) != 2 {
		t.Fatalf("kitfile %s (%v)", rep.Config, err)
	}
	pulled := t.TempDir()
	if _, err := remote.Pull(context.Background(), remote.Ref{Dir: out, Reference: Tag}, pulled, remote.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"consolidated.safetensors", "params.json", "tekken.json"} {
		got, _ := os.ReadFile(filepath.Join(pulled, p))
		src, _ := os.ReadFile(filepath.Join(from.Dir, p))
		if !bytes.Equal(got, src) {
			t.Errorf("%s: pulled %q, source %q", p, got, src)
		}
	}
	_, again := runType(t, t.TempDir(), "kitops", cfg, mergeInput(t, t.TempDir(), "weights"), specv1.Input{Step: "eval.format", Attr: "gate", Dir: gate, Metadata: specv1.Metadata{Kind: "eval"}})
	rep2, err := remote.Inspect(context.Background(), remote.Ref{Dir: again, Reference: Tag}, remote.Options{})
	if err != nil || rep2.Digest != rep.Digest {
		t.Errorf("same inputs, another folder: %s vs %s (%v)", rep2.Digest, rep.Digest, err)
	}
}
