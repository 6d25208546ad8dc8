package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const quickstart = "../../../../examples/quickstart"

// specRun runs one ckpt command line and returns its exit code and output.
func specRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(t.Context(), &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	return code, out.String(), errb.String()
}

// specDir writes files into a new folder and returns it.
func specDir(t *testing.T, files map[string]string) string {
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

const badSpec = `model "dir" "base" {
  pathh = "./base"
  id    = "m"
}
`

func TestValidateQuickstart(t *testing.T) {
	// A copy of the tracked spec files only: run.sh synthesizes checkpoints
	// into the example folder, which would hide the warnings checked below.
	dir := t.TempDir()
	for _, name := range []string{"quickstart.ckpt.hcl", "evals/predictions.jsonl", "evals/ticket.schema.json"} {
		b, err := os.ReadFile(filepath.Join(quickstart, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := specRun(t, "validate", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(out, "The spec is valid") {
		t.Errorf("stdout = %q", out)
	}
	// The quickstart's checkpoints are synthesized before a build: missing
	// paths are warnings only.
	if !strings.Contains(errs, "warning: Path not found") {
		t.Errorf("stderr = %q", errs)
	}
}

func TestValidateText(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": badSpec})
	code, out, errs := specRun(t, "validate", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("stdout = %q", out)
	}
	file := filepath.Join(dir, "main.ckpt.hcl")
	for _, want := range []string{
		file + ":2:3: error: Unsupported argument\n",
		"  2 |   pathh = \"./base\"\n    |   ^^^^^\n",
		`Did you mean "path"?`,
		file + ":1:1: error: Missing required argument\n",
		"  1 | model \"dir\" \"base\" {\n    | ^^^^^^^^^^^^^^^^^^\n",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

func TestValidateJSON(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": badSpec})
	code, out, _ := specRun(t, "validate", "--json", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var got struct {
		Valid        *bool            `json:"valid"`
		ErrorCount   *int             `json:"error_count"`
		WarningCount *int             `json:"warning_count"`
		Diagnostics  []map[string]any `json:"diagnostics"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Valid == nil || *got.Valid || *got.ErrorCount != 2 || *got.WarningCount != 0 || len(got.Diagnostics) != 2 {
		t.Fatalf("result = %s", out)
	}
	var unsupported map[string]any
	for _, d := range got.Diagnostics {
		if d["summary"] == "Unsupported argument" {
			unsupported = d
		}
	}
	if unsupported == nil {
		t.Fatalf("no Unsupported argument diagnostic in %s", out)
	}
	if unsupported["severity"] != "error" || !strings.Contains(unsupported["detail"].(string), `Did you mean "path"?`) {
		t.Errorf("diagnostic = %v", unsupported)
	}
	rng, _ := json.Marshal(unsupported["range"])
	wantRange := `{"end":{"byte":28,"column":8,"line":2},"filename":"` + filepath.Join(dir, "main.ckpt.hcl") + `","start":{"byte":23,"column":3,"line":2}}`
	if string(rng) != wantRange {
		t.Errorf("range = %s\nwant    %s", rng, wantRange)
	}
	snip, _ := json.Marshal(unsupported["snippet"])
	wantSnip := `{"code":"  pathh = \"./base\"","context":"model \"dir\" \"base\"","highlight_end_offset":7,"highlight_start_offset":2,"start_line":2}`
	if string(snip) != wantSnip {
		t.Errorf("snippet = %s\nwant      %s", snip, wantSnip)
	}
}

func TestValidateJSONValid(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": "model \"dir\" \"base\" {\n  path = \".\"\n  id   = \"m\"\n}\n"})
	code, out, _ := specRun(t, "validate", "--json", dir)
	want := "{\n  \"valid\": true,\n  \"error_count\": 0,\n  \"warning_count\": 0,\n  \"diagnostics\": []\n}\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, output %q", code, out)
	}
}

func TestValidateExitCodes(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": `variable "n" {
  type = number
  validation {
    condition     = var.n < 10
    error_message = "n must be below 10."
  }
}
`, "vars.hcl": "n = 3\n", "big.hcl": "n = 30\n"})
	for _, tc := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"valid with --var", []string{"validate", dir, "--var", "n=3"}, 0, ""},
		{"valid with --var-file", []string{"validate", dir, "--var-file", filepath.Join(dir, "vars.hcl")}, 0, ""},
		{"--var beats --var-file", []string{"validate", dir, "--var-file", filepath.Join(dir, "vars.hcl"), "--var", "n=11"}, 1, "n must be below 10."},
		{"validation failure in var file", []string{"validate", dir, "--var-file", filepath.Join(dir, "big.hcl")}, 1, "big.hcl:1:5: error: Invalid value for variable"},
		{"missing variable", []string{"validate", dir}, 1, "No value for required variable"},
		{"missing folder", []string{"validate", filepath.Join(dir, "nope")}, 1, "Cannot read spec"},
		{"two paths", []string{"validate", dir, dir}, 2, "at most one PATH"},
		{"unknown flag", []string{"validate", "--frob", dir}, 2, "unknown flag"},
		{"malformed --var", []string{"validate", dir, "--var", "n"}, 2, "want NAME=VALUE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := specRun(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.err) {
				t.Errorf("exit %d (want %d), stderr:\n%s", code, tc.code, errs)
			}
		})
	}
}

func TestValidateEnvVariable(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": "variable \"n\" {\n  type = number\n}\n"})
	t.Setenv("CKPT_VAR_n", "4")
	if code, _, errs := specRun(t, "validate", dir); code != 0 {
		t.Errorf("exit %d\n%s", code, errs)
	}
}
