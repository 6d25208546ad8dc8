package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/plugintest"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// artifact writes a small artifact folder with a nested file.
func artifact(t *testing.T, dir string) string {
	t.Helper()
	a := filepath.Join(dir, "artifact")
	files := map[string]string{"params.json": `{"dim": 8}`, "consolidated.safetensors": "weights", "tokenizer/tekken.json": "{}"}
	for name, body := range files {
		p := filepath.Join(a, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func setup(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
	a := artifact(t, dir)
	return json.RawMessage(`{"target":"model.base"}`), []specv1.Input{{Step: "model.base", Attr: "target", Dir: a,
		Metadata: specv1.Metadata{Kind: "model", License: "Apache-2.0"}}}
}

func TestConformance(t *testing.T) {
	plugintest.Run(t, Plugin(), plugintest.Case{Component: "check.sha256sums", Setup: setup,
		Invalid: []json.RawMessage{[]byte(`{}`), []byte(`{"target":"model.base","exclude":["["]}`)}})
}

type events struct{ logs []string }

func (e *events) Log(m string)                  { e.logs = append(e.logs, m) }
func (e *events) Progress(int64, int64, string) {}
func (e *events) Diagnostic(specv1.Diagnostic)  {}

func run(t *testing.T, cfg string, dir string) (*specv1.Metadata, string, error) {
	t.Helper()
	out := t.TempDir()
	req := &specv1.RunRequest{Kind: "check", Type: "sha256sums", Step: "check.sums", Config: json.RawMessage(cfg),
		Inputs:    []specv1.Input{{Step: "model.base", Attr: "target", Dir: dir, Metadata: specv1.Metadata{License: "Apache-2.0"}}},
		OutputDir: out, ScratchDir: t.TempDir()}
	md, err := Check{}.Run(context.Background(), req, &events{})
	return md, out, err
}

// TestManifestVerifiesWithSha256sum checks the written manifest with
// coreutils' sha256sum -c, an independent implementation.
func TestManifestVerifiesWithSha256sum(t *testing.T) {
	a := artifact(t, t.TempDir())
	md, out, err := run(t, `{"target":"model.base"}`, a)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(out, ManifestName)
	cmd := exec.Command("sha256sum", "--strict", "-c", manifest)
	cmd.Dir = a
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, b)
	}
	b, _ := os.ReadFile(manifest)
	if lines := strings.Count(string(b), "\n"); lines != 3 || md.Outputs["files"] != "3" {
		t.Errorf("manifest has %d lines, outputs %v; want 3 files", lines, md.Outputs)
	}
	if md.License != "Apache-2.0" || md.Outputs["sha256sums"] != digest(b) {
		t.Errorf("metadata = %+v", md)
	}
	// sha256sum's own output for the tree is accepted as an expected manifest.
	ls := exec.Command("sh", "-c", "find . -type f | sort | xargs sha256sum")
	ls.Dir = a
	theirs, err := ls.Output()
	if err != nil {
		t.Fatal(err)
	}
	exp := filepath.Join(t.TempDir(), "expected")
	os.WriteFile(exp, theirs, 0o644)
	md, _, err = run(t, `{"target":"model.base","expected":`+quote(exp)+`}`, a)
	if err != nil || len(md.Findings) != 0 {
		t.Fatalf("against sha256sum's manifest: %v, findings %+v", err, md.Findings)
	}
}

func TestVerifyFindings(t *testing.T) {
	a := artifact(t, t.TempDir())
	exp := filepath.Join(t.TempDir(), "SHA256SUMS")
	os.WriteFile(exp, []byte(strings.Repeat("0", 64)+"  params.json\n"+strings.Repeat("1", 64)+" *gone.bin\n"), 0o644)
	md, _, err := run(t, `{"target":"model.base","expected":`+quote(exp)+`,"exclude":["tokenizer/*"]}`, a)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range md.Findings {
		got[f.File] = f.Code + " " + f.Severity
	}
	want := map[string]string{
		"params.json":              CodeMismatch + " error",
		"gone.bin":                 CodeMissing + " error",
		"consolidated.safetensors": CodeUnlisted + " warning",
	}
	if len(got) != len(want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("%s: finding %q, want %q", f, got[f], w)
		}
	}
}

func TestRunErrors(t *testing.T) {
	a := artifact(t, t.TempDir())
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("not a manifest\n"), 0o644)
	for name, tc := range map[string]struct{ cfg, want string }{
		"bad expected":     {`{"target":"model.base","expected":` + quote(bad) + `}`, "line 1"},
		"missing expected": {`{"target":"model.base","expected":"/nonexistent/SUMS"}`, "/nonexistent/SUMS"},
		"no target":        {`{}`, "target is required"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := run(t, tc.cfg, a)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for name, tc := range map[string]struct{ cfg, path string }{
		"target":   {`{}`, "target"},
		"exclude":  {`{"target":"m.b","exclude":["ok","[x"]}`, "exclude.1"},
		"expected": {`{"target":"m.b","expected":"/nonexistent"}`, "expected"},
	} {
		t.Run(name, func(t *testing.T) {
			d := Check{}.Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(tc.cfg)})
			if len(d) != 1 || strings.Join(d[0].Path, ".") != tc.path {
				t.Fatalf("diagnostics = %+v, want one at %s", d, tc.path)
			}
		})
	}
}

func TestParse(t *testing.T) {
	h := strings.Repeat("a", 64)
	for name, tc := range map[string]struct{ src, want string }{
		"ok":        {h + "  a\n" + h + " *./b/c\n\n", ""},
		"short":     {"abc  x\n", "line 1"},
		"not hex":   {strings.Repeat("g", 64) + "  x\n", "not a hex"},
		"absolute":  {h + "  /etc/passwd\n", "not a clean relative"},
		"parent":    {h + "  ../x\n", "not a clean relative"},
		"duplicate": {h + "  x\n" + h + "  x\n", "already listed on line 1"},
	} {
		t.Run(name, func(t *testing.T) {
			es, err := Parse([]byte(tc.src))
			if tc.want == "" {
				if err != nil || len(es) != 2 || es[1].Path != "b/c" {
					t.Fatalf("Parse = %+v, %v", es, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(strings.Repeat("a", 64) + "  file\n"))
	f.Add([]byte(strings.Repeat("0", 64) + " *dir/file\r\n\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, src []byte) {
		es, err := Parse(src)
		if err != nil {
			return
		}
		again, err := Parse(Format(es))
		if err != nil || len(again) != len(es) {
			t.Fatalf("formatted manifest does not parse back: %v", err)
		}
		for i := range es {
			if es[i] != again[i] {
				t.Fatalf("entry %d: %+v vs %+v", i, es[i], again[i])
			}
		}
	})
}

func BenchmarkSumTree(b *testing.B) {
	dir := b.TempDir()
	data := make([]byte, 4<<20)
	for i := range 4 {
		os.WriteFile(filepath.Join(dir, "shard"+string(rune('0'+i))), data, 0o644)
	}
	b.SetBytes(16 << 20)
	for b.Loop() {
		if _, err := sumTree(context.Background(), dir, nil, &events{}); err != nil {
			b.Fatal(err)
		}
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }
