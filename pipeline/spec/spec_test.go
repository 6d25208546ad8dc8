package spec_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

// write creates files (name → content) in a new folder and returns it.
func write(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, path string, opts spec.Options) *spec.Spec {
	t.Helper()
	sp, diags := spec.Load(t.Context(), path, opts)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return sp
}

func variable(t *testing.T, sp *spec.Spec, name string) cty.Value {
	t.Helper()
	for _, v := range sp.Variables {
		if v.Name == name {
			return v.Value
		}
	}
	t.Fatalf("no variable %q", name)
	return cty.NilVal
}

func TestVariablePrecedence(t *testing.T) {
	dir := write(t, map[string]string{
		"main.ckpt.hcl": `
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "n" {
  type    = list(number)
  default = []
}
variable "secret" {
  default   = "x"
  sensitive = true
}
`,
		"one.hcl": "b = \"file1\"\nc = \"file1\"\nd = \"file1\"\n",
		"two.hcl": "c = \"file2\"\n",
	})
	sp := mustLoad(t, dir, spec.Options{
		Env:      []string{"CKPT_VAR_b=env", "CKPT_VAR_a=env", "CKPT_VAR_n=[1, 2]", "OTHER=1", "CKPT_VAR_undeclared=1"},
		VarFiles: []string{filepath.Join(dir, "one.hcl"), filepath.Join(dir, "two.hcl")},
		Vars:     []string{"d=flag=with=equals"},
	})
	for name, want := range map[string]string{"a": "env", "b": "file1", "c": "file2", "d": "flag=with=equals"} {
		if got := variable(t, sp, name); got.AsString() != want {
			t.Errorf("var.%s = %#v, want %q", name, got, want)
		}
	}
	if got := variable(t, sp, "n"); !got.Equals(cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)})).True() {
		t.Errorf("var.n = %#v", got)
	}
	if !sp.Variables[len(sp.Variables)-1].Sensitive {
		t.Error("var.secret is not sensitive")
	}
}

func TestFunctionsResolveAgainstSpecFolder(t *testing.T) {
	dir := write(t, map[string]string{
		"sub/main.ckpt.hcl": `
locals {
  text   = file("data/note.txt")
  sum    = filesha256("./data/note.txt")
  abs    = abspath("data")
  base   = basename(abspath("data/note.txt"))
  exists = fileexists("data/note.txt")
  none   = fileexists("data/none.txt")
  merged = merge({ a = 1 }, { b = 2 })
  json   = jsonencode(lookup({ k = "v" }, "k", "z"))
  parts  = concat(["a"], [upper("b"), format("%03d", 7)])
  strlen = length("héllo")
}
`,
		"sub/data/note.txt": "hello\n",
	})
	// Load the single file from another working folder: paths still
	// resolve against the spec's folder.
	sp := mustLoad(t, filepath.Join(dir, "sub", "main.ckpt.hcl"), spec.Options{})
	sum := sha256.Sum256([]byte("hello\n"))
	want := map[string]cty.Value{
		"text":   cty.StringVal("hello\n"),
		"sum":    cty.StringVal(hex.EncodeToString(sum[:])),
		"abs":    cty.StringVal(filepath.Join(dir, "sub", "data")),
		"base":   cty.StringVal("note.txt"),
		"exists": cty.True,
		"none":   cty.False,
		"json":   cty.StringVal(`"v"`),
		"strlen": cty.NumberIntVal(5),
	}
	for k, w := range want {
		if got := sp.Locals[k]; !got.RawEquals(w) {
			t.Errorf("local.%s = %#v, want %#v", k, got, w)
		}
	}
	if got := sp.Locals["parts"].LengthInt(); got != 3 {
		t.Errorf("local.parts has %d elements", got)
	}
}

func TestFileErrors(t *testing.T) {
	dir := write(t, map[string]string{
		"main.ckpt.hcl": "locals {\n  a = file(\"missing.txt\")\n  b = file(\"bin\")\n}\n",
		"bin":           "\xff\xfe",
	})
	_, diags := spec.Load(t.Context(), dir, spec.Options{})
	if len(diags) != 2 {
		t.Fatalf("diags = %v", diags)
	}
	if !strings.Contains(diags[0].Detail, "missing.txt") || diags[0].Subject.Start.Line != 2 {
		t.Errorf("diag 0 = %v", diags[0])
	}
	if !strings.Contains(diags[1].Detail, "not UTF-8") || diags[1].Subject.Start.Line != 3 {
		t.Errorf("diag 1 = %v", diags[1])
	}
}

func TestLoadPaths(t *testing.T) {
	dir := write(t, map[string]string{
		"b.ckpt.hcl":  `model "dir" "b" {}`,
		"a.ckpt.hcl":  `model "dir" "a" {}`,
		"c.hcl":       `not a spec file`,
		"empty/x.txt": "",
	})
	sp := mustLoad(t, dir, spec.Options{})
	if len(sp.Steps) != 2 || sp.Steps[0].Name != "a" || sp.Steps[1].Name != "b" {
		t.Errorf("steps = %+v", sp.Steps)
	}
	if sp.Dir != dir || !strings.HasPrefix(sp.Digest, "sha256:") {
		t.Errorf("dir %q digest %q", sp.Dir, sp.Digest)
	}
	for _, tc := range []struct{ path, summary string }{
		{filepath.Join(dir, "missing"), "Cannot read spec"},
		{filepath.Join(dir, "empty"), "No spec files"},
	} {
		sp, diags := spec.Load(t.Context(), tc.path, spec.Options{})
		if sp != nil || len(diags) != 1 || diags[0].Summary != tc.summary {
			t.Errorf("%s: spec %v diags %v", tc.path, sp, diags)
		}
	}
}

func TestDigest(t *testing.T) {
	files := map[string]string{"a.ckpt.hcl": `model "dir" "a" {}`, "b.ckpt.hcl": `model "dir" "b" {}`}
	d1 := mustLoad(t, write(t, files), spec.Options{}).Digest
	d2 := mustLoad(t, write(t, files), spec.Options{}).Digest
	if d1 != d2 {
		t.Errorf("digest depends on the folder: %s != %s", d1, d2)
	}
	files["b.ckpt.hcl"] += "\n"
	if d3 := mustLoad(t, write(t, files), spec.Options{}).Digest; d3 == d1 {
		t.Error("digest ignores a file change")
	}
}

func TestRequiredPlugins(t *testing.T) {
	dir := write(t, map[string]string{"main.ckpt.hcl": `
ckpt {
  required_version = "~> 0.1"
  required_plugins {
    mergekit = { source = "registry.example.com/ckpt-plugins/mergekit", version = "1.2.0" }
    a        = { source = "localhost/a" }
  }
}
`})
	sp := mustLoad(t, dir, spec.Options{Version: "0.3.1-dev"})
	p := sp.Required.Plugins
	if len(p) != 2 || p[0].Name != "a" || p[1].Source != "registry.example.com/ckpt-plugins/mergekit" || p[1].Version != "1.2.0" {
		t.Errorf("plugins = %+v", p)
	}
	if sp.Required.Version != "~> 0.1" {
		t.Errorf("required_version = %q", sp.Required.Version)
	}
}

func TestRequiredVersion(t *testing.T) {
	for _, tc := range []struct {
		constraint, version string
		ok                  bool
	}{
		{">= 0.1.0", "0.1.0", true},
		{">= 0.2.0", "0.1.9", false},
		{">= 0.1, < 1.0", "0.9.0", true},
		{">= 0.1, < 1.0", "1.0.0", false},
		{"~> 0.3", "0.9.0", true},
		{"~> 0.3", "1.0.0", false},
		{"~> 0.3.1", "0.3.9", true},
		{"~> 0.3.1", "0.4.0", false},
		{"0.2.0", "0.2.0-dev", true},
		{"!= 0.2.0", "0.2.0", false},
		{"> 0.2.0", "0.2.1", true},
		{"<= 0.2.0", "0.2.1", false},
		{">= 9", "dev", true}, // not a semantic version: no check
	} {
		dir := write(t, map[string]string{"main.ckpt.hcl": `ckpt { required_version = "` + tc.constraint + `" }`})
		_, diags := spec.Load(t.Context(), dir, spec.Options{Version: tc.version})
		if diags.HasErrors() == tc.ok {
			t.Errorf("%q with %s: diags %v", tc.constraint, tc.version, diags)
		}
	}
	dir := write(t, map[string]string{"main.ckpt.hcl": `ckpt { required_version = ">= banana" }`})
	_, diags := spec.Load(t.Context(), dir, spec.Options{Version: "1.0.0"})
	if len(diags) != 1 || diags[0].Summary != "Invalid required_version" {
		t.Errorf("diags = %v", diags)
	}
}

func TestVarOptionErrors(t *testing.T) {
	dir := write(t, map[string]string{
		"main.ckpt.hcl": "variable \"n\" {\n  type = number\n}\nvariable \"s\" {\n  type = string\n  default = \"x\"\n}\n",
		"bad.hcl":       "n = \n",
	})
	for _, tc := range []struct {
		opts    spec.Options
		summary string
	}{
		{spec.Options{Vars: []string{"novalue"}}, "Invalid --var option"},
		{spec.Options{Vars: []string{"n=[1"}}, "Invalid value for variable"},
		{spec.Options{Vars: []string{"n=\"x\""}}, "Invalid value for variable"},
		{spec.Options{Vars: []string{"n=1", "zz=1"}}, "Value for undeclared variable"},
		{spec.Options{}, "No value for required variable"},
		{spec.Options{Vars: []string{"n=1"}, VarFiles: []string{filepath.Join(dir, "bad.hcl")}}, "Invalid expression"},
		{spec.Options{Vars: []string{"n=1"}, VarFiles: []string{filepath.Join(dir, "none.hcl")}}, "Failed to read file"},
	} {
		_, diags := spec.Load(t.Context(), dir, tc.opts)
		if !hasSummary(diags, tc.summary) {
			t.Errorf("%+v: want %q, got %v", tc.opts, tc.summary, diags)
		}
	}
}

func hasSummary(diags hcl.Diagnostics, s string) bool {
	for _, d := range diags {
		if d.Summary == s {
			return true
		}
	}
	return false
}
