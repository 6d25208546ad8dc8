package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/synth/breaks"
)

func runCheckCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	return code, out.String(), errb.String()
}

// synthForCheck makes a tiny model with ckpt synth model.
func synthForCheck(t *testing.T, layout string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	if code, _, stderr := runCheckCLI(t, "synth", "model", dir, "--layout", layout); code != 0 {
		t.Fatalf("synth model: %d %s", code, stderr)
	}
	return dir
}

func TestCheckClean(t *testing.T) {
	for _, layout := range []string{"native", "hf"} {
		dir := synthForCheck(t, layout)
		code, out, stderr := runCheckCLI(t, "check", dir)
		if code != 0 || !strings.Contains(out, "no findings") || stderr != "" {
			t.Errorf("%s: exit %d\n%s%s", layout, code, out, stderr)
		}
	}
}

// TestCheckThreeProblems: a folder with three different problems reports
// all three in one run, as a table and as JSON, and exits 1.
func TestCheckThreeProblems(t *testing.T) {
	dir := synthForCheck(t, "native")
	for _, rule := range []string{"eos.mismatch", "tekken.special_rank", "id.latest"} {
		if code, out, stderr := runCheckCLI(t, "synth", "break", dir, "--rule", rule); code != 0 || !strings.Contains(out, "ckpt check "+dir) {
			t.Fatalf("synth break %s: %d %s %s", rule, code, out, stderr)
		}
	}
	code, out, _ := runCheckCLI(t, "check", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"SEVERITY", "eos.mismatch", "generation_config.json", "tekken.special_rank",
		"special_tokens[15].rank", "id.latest", "README.md", "4 errors", "vllm-mistral, mistral-inference"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCheckCLI(t, "check", dir, "--json", "--runtime", "vllm-mistral")
	var rep struct {
		Runtimes []string `json:"runtimes"`
		Errors   int      `json:"errors"`
		Findings []struct {
			Code, Severity, File, Path, Message string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 {
		t.Fatalf("json (exit %d): %v\n%s", code, err, out)
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		got[f.Code] = true
	}
	if !got["eos.mismatch"] || !got["tekken.special_rank"] || !got["id.latest"] || rep.Errors != 4 || rep.Runtimes[0] != "vllm-mistral" {
		t.Errorf("json report %+v", rep)
	}
}

// TestSynthBreakEveryRule: every rule listed by --list can be broken into
// a synthesized model and the printed check command shows it.
func TestSynthBreakEveryRule(t *testing.T) {
	code, out, _ := runCheckCLI(t, "synth", "break", "--list")
	if code != 0 {
		t.Fatalf("--list: exit %d", code)
	}
	for _, rule := range breaks.Codes() {
		if !strings.Contains(out, string(rule)) {
			t.Errorf("--list lacks %s", rule)
		}
	}
	for _, rule := range []string{"template.train_mismatch", "weights.index", "vision.patch_size"} {
		dir := synthForCheck(t, "native")
		code, out, stderr := runCheckCLI(t, "synth", "break", dir, "--rule", rule)
		if code != 0 {
			t.Fatalf("break %s: %d %s", rule, code, stderr)
		}
		line := out[strings.Index(out, "see it with: ")+len("see it with: "):]
		args := strings.Fields(line)[1:]
		code, out, _ = runCheckCLI(t, args...)
		if code != 1 || !strings.Contains(out, rule) {
			t.Errorf("%s: %v: exit %d\n%s", rule, args, code, out)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	dir := synthForCheck(t, "native")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check"}, 2, "exactly 1 DIR"},
		{[]string{"check", dir, "--runtime", "tgi"}, 2, "known runtimes"},
		{[]string{"check", filepath.Join(dir, "absent")}, 1, "absent"},
		{[]string{"check", dir, "--adapter", t.TempDir()}, 2, "records no chat template"},
		{[]string{"check", dir, "--id", "mistral-large-latest"}, 1, ""},
		{[]string{"synth", "break", dir}, 2, "--rule"},
		{[]string{"synth", "break", dir, "--rule", "no.such"}, 1, "no break for rule"},
		{[]string{"synth", "break", t.TempDir(), "--rule", "eos.mismatch"}, 1, "not a model folder"},
		{[]string{"synth", "break", dir, "--rule", "template.missing"}, 1, "--layout hf"},
	} {
		code, out, stderr := runCheckCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr+out, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s%s", tc.args, code, tc.code, tc.want, out, stderr)
		}
	}
}

// TestCheckCanonicalTemplate: appending {{ '[EXTRA]' }} to an HF model's
// chat_template.jinja fails ckpt check --runtime transformers with the byte
// offset where the text departs from the canonical v7 format; the same
// template given as --template-reference passes (a deliberate format).
func TestCheckCanonicalTemplate(t *testing.T) {
	dir := synthForCheck(t, "hf")
	path := filepath.Join(dir, "chat_template.jinja")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := append(src, "{{ '[EXTRA]' }}"...)
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCheckCLI(t, "check", dir, "--runtime", "transformers", "--json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != 1 || rep.Errors == 0 {
		t.Fatalf("exit %d, errors %d, want a failure:\n%s", code, rep.Errors, out)
	}
	var msg string
	for _, f := range rep.Findings {
		if f.Code == "template.canonical" && f.File == "chat_template.jinja" {
			msg = f.Message
		}
	}
	if !strings.Contains(msg, "differs at byte") || !strings.Contains(msg, `[EXTRA]`) || !strings.Contains(msg, "canonical v7") {
		t.Errorf("template.canonical finding %q lacks the offset, the texts or the version:\n%s", msg, out)
	}
	ref := filepath.Join(t.TempDir(), "ours.jinja")
	if err := os.WriteFile(ref, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCheckCLI(t, "check", dir, "--runtime", "transformers", "--template-reference", ref); code != 0 {
		t.Errorf("with --template-reference: exit %d\n%s%s", code, out, stderr)
	}
	if code, _, stderr := runCheckCLI(t, "check", dir, "--template-reference", filepath.Join(t.TempDir(), "none.jinja")); code != 2 || !strings.Contains(stderr, "none.jinja") {
		t.Errorf("missing reference: exit %d, %s", code, stderr)
	}
}
