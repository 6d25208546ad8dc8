package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/plugins/bundle"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type nopEvents struct{}

func (nopEvents) Log(string)                    {}
func (nopEvents) Progress(_, _ int64, _ string) {}
func (nopEvents) Diagnostic(specv1.Diagnostic)  {}

var transferModel = map[string]string{
	"consolidated.safetensors": strings.Repeat("w", 5000), "params.json": `{"dim":8}`,
	"tekken.json": `{"vocab":[]}`, "sub/README.md": "# tiny\n",
}

// bundleDir runs the bundle step over transferModel and returns its layout.
func bundleDir(t *testing.T, license string) string {
	t.Helper()
	root := t.TempDir()
	model := filepath.Join(root, "model")
	for p, c := range transferModel {
		f := filepath.Join(model, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(f), 0o755)
		os.WriteFile(f, []byte(c), 0o644)
	}
	out := filepath.Join(root, "bundle")
	os.MkdirAll(out, 0o755)
	req := &specv1.RunRequest{Kind: "bundle", Type: "modelpack", Step: "bundle.tiny", Config: json.RawMessage(`{"from":"model.tiny","name":"tiny"}`),
		Inputs:    []specv1.Input{{Step: "model.tiny", Attr: "from", Dir: model, Metadata: specv1.Metadata{Kind: "model", ID: "tiny", License: license}}},
		OutputDir: out, ScratchDir: filepath.Join(root, "scratch")}
	if _, err := bundle.Components()[0].Run(context.Background(), req, nopEvents{}); err != nil {
		t.Fatal(err)
	}
	return out
}

func ckpt(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	return code, out.String(), errb.String()
}

func TestPushPullInspectUnpack(t *testing.T) {
	reg := testenv.NewRegistry(t)
	dir := bundleDir(t, "Apache-2.0")
	ref := reg.Host + "/models/tiny:v1"
	code, out, errOut := ckpt("push", "--bundle", dir, ref, "--plain-http")
	if code != 0 || !strings.Contains(out, "@sha256:") {
		t.Fatalf("push: %d %s %s", code, out, errOut)
	}
	pulled := t.TempDir()
	if code, _, errOut := ckpt("pull", ref, pulled, "--plain-http"); code != 0 {
		t.Fatalf("pull: %d %s", code, errOut)
	}
	for p, want := range transferModel {
		if b, _ := os.ReadFile(filepath.Join(pulled, filepath.FromSlash(p))); string(b) != want {
			t.Errorf("pulled %s: %q", p, b)
		}
	}
	partial := t.TempDir()
	code, out, _ = ckpt("pull", ref, partial, "--plain-http", "--include", "*.json")
	if code != 0 || strings.TrimSpace(out) != "params.json\ntekken.json" {
		t.Errorf("pull --include: %d %q", code, out)
	}
	code, out, errOut = ckpt("inspect", ref, "--plain-http", "--json")
	var rep ckptremote.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("inspect --json: %d %s %s", code, out, errOut)
	}
	if rep.License != "Apache-2.0" || len(rep.Referrers) != 3 || rep.Format != "modelpack" {
		t.Errorf("inspect: %+v", rep)
	}
	code, out, _ = ckpt("inspect", ref, "--plain-http")
	for _, want := range []string{"License:", "Apache-2.0", "consolidated.safetensors", specv1.ArtifactTypeProvenance, "application/vnd.cncf.model.weight.v1.raw"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect text lacks %q:\n%s", want, out)
		}
	}
	unpacked := t.TempDir()
	if code, _, errOut := ckpt("unpack", dir, unpacked); code != 0 {
		t.Fatalf("unpack: %s", errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(unpacked, "sub", "README.md")); string(b) != "# tiny\n" {
		t.Errorf("unpack: %q", b)
	}
}

func TestTransferErrors(t *testing.T) {
	unlicensed := bundleDir(t, "")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"pull", "only-one-arg"}, 2, "accepts 2 arg"},
		{[]string{"pull", "Bad Ref", t.TempDir()}, 2, "invalid reference"},
		{[]string{"pull", "oci:" + t.TempDir(), t.TempDir(), "--include", "[x"}, 2, "--include"},
		{[]string{"pull", "oci:" + filepath.Join(t.TempDir(), "missing"), t.TempDir()}, 1, "missing"},
		{[]string{"push", "--bundle", unlicensed, "oci:" + t.TempDir()}, 1, "no license information: set license on the model, adapter or dataset, or --allow-unlicensed to publish anyway"},
		{[]string{"push", "--bundle", unlicensed}, 2, "want one REF"},
		{[]string{"inspect", "oci:" + unlicensed + ":nope"}, 1, "nope"},
		{[]string{"unpack", unlicensed, t.TempDir(), "--include", "none-such"}, 1, "no file"},
	} {
		code, _, errOut := ckpt(c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("ckpt %v: exit %d, stderr %q; want exit %d with %q", c.args, code, errOut, c.code, c.want)
		}
	}
	if code, _, _ := ckpt("push", "--bundle", unlicensed, "oci:"+t.TempDir(), "--allow-unlicensed"); code != 0 {
		t.Error("push --allow-unlicensed refused")
	}
}
