package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	lic "github.com/ckpt-dev/ckpt/packaging/license"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/plugins/bundle"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// interopMeta describes the interop model (bf16, so the float codec applies).
var interopMeta = specv1.Metadata{Kind: "model", ID: "interop-base", License: "Apache-2.0", DType: "bf16", Architecture: "mistral"}

// interopModel is a small model folder with a nested file.
func interopModel() map[string][]byte {
	w := make([]byte, 96<<10)
	for i := 0; i < len(w); i += 2 { // bf16 values around ±0.02
		w[i], w[i+1] = byte(i*7), 0x3c|byte(i>>9)&0x80
	}
	return map[string][]byte{"consolidated.safetensors": w, "params.json": []byte(`{"dim":8,"n_layers":1}`),
		"tekken.json": []byte(`{"vocab":[]}`), "docs/notes.md": []byte("# notes\n")}
}

var interopAdapter = map[string][]byte{"adapter_model.safetensors": bytes.Repeat([]byte{1, 0x3c}, 4096),
	"adapter_config.json": []byte(`{"r":8,"base_model_name_or_path":"interop-base"}`)}

// variant is one bundle the readers are tried on.
type variant struct {
	name, typ string
	cfg       map[string]any
	adapter   bool
	// modctl and kit tell whether the reader is expected to read it.
	modctl, kit bool
}

var interopVariants = []variant{
	{name: "raw", typ: "modelpack", modctl: true},
	{name: "tar", typ: "modelpack", cfg: map[string]any{"compression": "tar", "text_compression": "tar"}, modctl: true},
	{name: "tarzstd", typ: "modelpack", cfg: map[string]any{"compression": "zstd", "text_compression": "zstd"}},
	{name: "float", typ: "modelpack", cfg: map[string]any{"compression": "float"}},
	{name: "adapter", typ: "modelpack", adapter: true, modctl: true},
	{name: "kitops", typ: "kitops", kit: true},
	{name: "cnai", typ: "modelpack", cfg: map[string]any{"media_types": "cnai"}, modctl: true},
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for p, b := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// buildVariant runs the bundle step of v and returns its layout and the
// files a reader of it must write (the model's, with LICENSE and NOTICE).
func buildVariant(t *testing.T, v variant) (string, map[string][]byte) {
	t.Helper()
	root := t.TempDir()
	model := filepath.Join(root, "model")
	writeFiles(t, model, interopModel())
	cfg := map[string]any{"from": "model.base", "name": "interop-" + v.name}
	for k, x := range v.cfg {
		cfg[k] = x
	}
	from := specv1.Input{Step: "model.base", Attr: "from", Dir: model, Digest: "sha256:" + strings.Repeat("a", 64), Metadata: interopMeta}
	inputs, want := []specv1.Input{from}, interopModel()
	if v.adapter {
		adir := filepath.Join(root, "adapter")
		writeFiles(t, adir, interopAdapter)
		am := specv1.Metadata{Kind: "adapter", ID: "interop-lora", License: "Apache-2.0", DType: "bf16",
			Lineage: []specv1.Lineage{{Role: "base", ID: interopMeta.ID, Digest: from.Digest, License: "Apache-2.0", Step: "model.base"}}}
		from.Attr = "base"
		inputs = []specv1.Input{{Step: "adapter.lora", Attr: "from", Dir: adir, Digest: "sha256:" + strings.Repeat("f", 64), Metadata: am}, from}
		cfg["from"], cfg["base"], want = "adapter.lora", "model.base", map[string][]byte{}
		for p, b := range interopAdapter {
			want[p] = b
		}
	}
	for p, b := range lic.Files(&inputs[0].Metadata) {
		want[p] = b
	}
	raw, _ := json.Marshal(cfg)
	out := filepath.Join(root, "bundle")
	req := &specv1.RunRequest{Kind: "bundle", Type: v.typ, Step: "bundle." + v.name, Config: raw, Inputs: inputs,
		OutputDir: out, ScratchDir: filepath.Join(root, "scratch")}
	for _, c := range bundle.Components() {
		if c.Describe().Type == v.typ {
			if _, err := c.Run(context.Background(), req, nopEvents{}); err != nil {
				t.Fatalf("bundle %s: %v", v.name, err)
			}
		}
	}
	return out, want
}

// checkWritten checks every file a reader wrote under dir: one named as a
// model file must hold that file's bytes; complete asks for all of them.
// It returns the names of the files written under no model file's name.
func checkWritten(t *testing.T, reader, dir string, want map[string][]byte, complete bool) []string {
	t.Helper()
	var other []string
	seen := map[string]bool{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		w, ok := want[rel]
		if !ok {
			other = append(other, rel)
			return nil
		}
		seen[rel] = true
		if got, _ := os.ReadFile(p); !bytes.Equal(got, w) {
			t.Errorf("%s wrote %s: %d bytes that are not the file's (%d bytes)", reader, rel, len(got), len(w))
		}
		return nil
	})
	for p := range want {
		if complete && !seen[p] {
			t.Errorf("%s did not write %s", reader, p)
		}
	}
	return other
}

// tool runs a reader's command; it returns its combined output and error.
func tool(env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// interopRepo is a repository prefix unique to this run on a shared registry.
func interopRepo(reg string) string {
	return fmt.Sprintf("%s/interop-%d", reg, time.Now().UnixNano())
}

func TestInteropReaders(t *testing.T) {
	reg := testenv.ExternalRegistry(t)
	oras := testenv.RequireTool(t, "oras")
	skopeo := testenv.RequireTool(t, "skopeo")
	modctl := testenv.RequirePeer(t, "modctl")
	kit := testenv.RequirePeer(t, "kit")
	repo := interopRepo(reg)
	for _, v := range interopVariants {
		t.Run(v.name, func(t *testing.T) {
			layout, want := buildVariant(t, v)
			ref := repo + "/" + v.name + ":v1"
			code, out, errOut := ckpt("push", "--bundle", layout, ref, "--plain-http")
			if code != 0 {
				t.Fatalf("push: %s %s", out, errOut)
			}
			digest := strings.TrimSpace(out[strings.LastIndex(out, "@")+1:])

			dir := t.TempDir()
			if code, _, errOut := ckpt("pull", ref, dir, "--plain-http"); code != 0 {
				t.Fatalf("ckpt pull: %s", errOut)
			}
			checkWritten(t, "ckpt pull", dir, want, true)

			dir = t.TempDir()
			if out, err := tool(nil, oras, "pull", "--plain-http", "-o", dir, ref); err != nil {
				t.Fatalf("oras pull: %v\n%s", err, out)
			}
			rawTitles := v.name == "raw" || v.name == "cnai" || v.name == "adapter"
			other := checkWritten(t, "oras pull", dir, want, rawTitles)
			t.Logf("oras pull wrote, under names of no model file: %v", other)

			interopModctl(t, modctl, ref, v, want)
			interopKit(t, kit, ref, v, want)

			copyRef := repo + "/" + v.name + "-skopeo:v1"
			if out, err := tool(nil, skopeo, "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
				"docker://"+ref, "docker://"+copyRef); err != nil {
				t.Fatalf("skopeo copy: %v\n%s", err, out)
			}
			code, out, errOut = ckpt("inspect", copyRef, "--plain-http", "--json")
			var rep ckptremote.Report
			if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Digest != digest {
				t.Fatalf("skopeo copy: digest %s, pushed %s (%s)", rep.Digest, digest, errOut)
			}
			if len(rep.Referrers) != 0 || !strings.Contains(errOut, "referrer is missing") {
				t.Errorf("inspect of a copy that lost its referrers: %d referrers, stderr %q", len(rep.Referrers), errOut)
			}
		})
	}
}

// interopModctl pulls ref with modctl: a variant it reads must extract
// byte-identical; for one it cannot, its refusal is recorded and nothing
// it wrote under a file's name may be wrong.
func interopModctl(t *testing.T, modctl, ref string, v variant, want map[string][]byte) {
	t.Helper()
	dir, store := t.TempDir(), t.TempDir()
	out, err := tool(nil, modctl, "pull", "--plain-http", "--no-progress", "--storage-dir", store, "--log-dir", store, "--extract-dir", dir, ref)
	switch {
	case v.modctl && err != nil:
		t.Fatalf("modctl pull: %v\n%s", err, out)
	case !v.modctl && err == nil:
		t.Logf("modctl pull of %s succeeded", v.name)
	case !v.modctl:
		t.Logf("modctl refuses %s: %v: %s", v.name, err, tailLine(out))
	}
	checkWritten(t, "modctl pull", dir, want, v.modctl)
}

// interopKit pulls and unpacks ref with kit, which reads ModelKits only.
func interopKit(t *testing.T, kit, ref string, v variant, want map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	env := []string{"KITOPS_HOME=" + t.TempDir()}
	out, err := tool(env, kit, "pull", "--plain-http", ref)
	if err == nil {
		var uout string
		uout, err = tool(env, kit, "unpack", ref, "-d", dir)
		out += uout
	}
	switch {
	case v.kit && err != nil:
		t.Fatalf("kit pull + unpack: %v\n%s", err, out)
	case !v.kit && err == nil:
		t.Errorf("kit read %s, a ModelPack artifact: want its refusal", v.name)
	case !v.kit:
		t.Logf("kit refuses %s: %s", v.name, tailLine(out))
	}
	checkWritten(t, "kit unpack", dir, want, v.kit)
}

func tailLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}
