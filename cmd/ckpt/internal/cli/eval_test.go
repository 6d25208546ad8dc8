package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// garbageServer is an OpenAI-compatible endpoint whose model answers prose
// for every prompt (a tiny random model would answer worse), and that
// wants key.
func garbageServer(t *testing.T, key string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/v1/models" {
			fmt.Fprint(w, `{"data":[{"id":"tiny"}]}`)
			return
		}
		fmt.Fprint(w, `{"choices":[{"text":"lorem ipsum {","finish_reason":"length"}],"usage":{"prompt_tokens":9}}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func evalFixture(t *testing.T) (model, prompts string) {
	dir := t.TempDir()
	model = filepath.Join(dir, "model")
	os.MkdirAll(model, 0o755)
	os.WriteFile(filepath.Join(model, "chat_template.jinja"), []byte(synth.ChatTemplate), 0o644)
	var lines []string
	for i := range 4 {
		lines = append(lines, fmt.Sprintf(`{"id":"q%d","tags":["refund"],"messages":[{"role":"user","content":"Ticket %d"},{"role":"assistant","content":"{\"category\":\"billing\"}"}]}`, i, i))
	}
	prompts = writeData(t, "prompts.jsonl", lines)
	return model, prompts
}

func TestEvalRunHardCasesToDataset(t *testing.T) {
	const key = "sk-cli-7e6d5c4b3a29"
	t.Setenv("CKPT_CLI_KEY", key)
	model, prompts := evalFixture(t)
	out := filepath.Join(t.TempDir(), "eval")
	code, stdout, stderr := runCheckDataCLI(t, "eval", "run", model, "--prompts", prompts, "--runner", "openai",
		"--endpoint", garbageServer(t, key), "--api-key-env", "CKPT_CLI_KEY", "--min-valid", "0.5", "--out", out)
	if code != 1 || !strings.Contains(stdout, "no_json_start: 4") || !strings.Contains(stdout, "verdict: fail") ||
		!strings.Contains(stdout, `settings sent: {"temperature":0,"seed":42,"max_tokens":256,"stop":["</s>"],"top_p":1}`) {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	digest, _ := jsoneval.DigestTarget(model)
	rep, err := jsoneval.ReadReport(out)
	if err != nil || rep.Target != digest || rep.Metrics.Total != 4 || rep.Generation.Runner.Model != "tiny" {
		t.Fatalf("report %+v: %v", rep, err)
	}
	shown := stdout + stderr
	for _, f := range []string{jsoneval.ReportFile, jsoneval.PredictionsFile, jsoneval.HardCasesFile} {
		b, _ := os.ReadFile(filepath.Join(out, f))
		shown += string(b)
	}
	if strings.Contains(shown, key) {
		t.Fatal("the API key appears in the output or the eval files")
	}
	data := filepath.Join(t.TempDir(), "retrain.jsonl")
	code, stdout, stderr = runCheckDataCLI(t, "eval", "hard-cases", out, "--to-dataset", data)
	if code != 0 || !strings.Contains(stdout, "4 rows") {
		t.Fatalf("hard-cases: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ = runCheckDataCLI(t, "check-data", data); code != 0 || !strings.Contains(stdout, "4 samples, 4 valid") {
		t.Fatalf("check-data refuses the rows: exit %d\n%s", code, stdout)
	}
}

func TestEvalRunErrors(t *testing.T) {
	model, prompts := evalFixture(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"eval", "run", model, "--runner", "openai"}, 2, "requires --prompts and --runner"},
		{[]string{"eval", "run", model, "--prompts", prompts, "--runner", "tgi"}, 2, `runner kind "tgi"`},
		{[]string{"eval", "run", model, "--prompts", prompts, "--runner", "openai"}, 2, "endpoint or command is required"},
		{[]string{"eval", "run", filepath.Join(model, "absent"), "--prompts", prompts, "--runner", "openai", "--endpoint", "http://127.0.0.1:1"}, 1, "absent"},
		{[]string{"eval", "run", model, "--prompts", prompts, "--runner", "openai", "--endpoint", "http://127.0.0.1:1", "--request-timeout", "1s"}, 1, "openai http://127.0.0.1:1/v1/models: models"},
		{[]string{"eval", "hard-cases", t.TempDir()}, 2, "requires --to-dataset"},
	}
	for _, tt := range tests {
		code, _, stderr := runCheckDataCLI(t, append(tt.args, "--out", t.TempDir())...)
		if tt.args[1] == "hard-cases" {
			code, _, stderr = runCheckDataCLI(t, tt.args...)
		}
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}

func TestEvalStamp(t *testing.T) {
	in := writeData(t, "p.jsonl", []string{`{"id":"a","output":"{}"}`, `{"id":"b","output":"[]"}`})
	out := filepath.Join(t.TempDir(), "stamped.jsonl")
	d := "sha256:" + strings.Repeat("c", 64)
	code, stdout, stderr := runCheckDataCLI(t, "eval", "stamp", in, "--target", d, "--out", out)
	if code != 0 || !strings.Contains(stdout, "2 predictions stamped") {
		t.Fatalf("exit %d %s %s", code, stdout, stderr)
	}
	b, _ := os.ReadFile(out)
	var row map[string]string
	json.Unmarshal(b[:strings.IndexByte(string(b), '\n')], &row)
	if row["target_digest"] != d {
		t.Errorf("row %s", b)
	}
	other := "sha256:" + strings.Repeat("d", 64)
	if code, _, stderr = runCheckDataCLI(t, "eval", "stamp", out, "--target", other, "--out", out+".2"); code != 1 || !strings.Contains(stderr, d) || !strings.Contains(stderr, other) {
		t.Errorf("restamp with another digest: exit %d %s", code, stderr)
	}
	if code, _, stderr = runCheckDataCLI(t, "eval", "stamp", out, "--target", other, "--replace", "--out", out); code != 0 {
		t.Errorf("--replace: exit %d %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); strings.Contains(string(b), d) || !strings.Contains(string(b), other) {
		t.Errorf("--replace in place wrote %s", b)
	}
	code, _, stderr = runCheckDataCLI(t, "eval", "stamp", out, "--dir", t.TempDir(), "--target", "merge.support", "--out", out)
	if code != 1 || !strings.Contains(stderr, "merge.support") || !strings.Contains(stderr, "ledger.jsonl") {
		t.Errorf("a step never built: exit %d %s", code, stderr)
	}
}
