package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatdata"
)

func runCheckDataCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	return code, out.String(), errb.String()
}

// fiveDefects is a data file with five kinds of defects, one per line 2–6.
var fiveDefects = []string{
	`{"messages":[{"role":"user","content":"Where is my order?"},{"role":"assistant","content":"It ships tomorrow."}]}`,
	`{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}`,
	`{"messages":[{"role":"customer","content":"Refund?"},{"role":"assistant","content":"Sure."}]}`,
	`{"messages":[{"role":"user","content":""},{"role":"assistant","content":"Could you say more?"}]}`,
	`{"messages":[{"role":"user","content":"Cancel my plan"},{"role":"assistant","content":"Done."},{"role":"user","content":"Thanks"}]}`,
	`{"messages":[{"role":"user","content":"Status of 42?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\"id\":\"42\"}"}}]},{"role":"tool","tool_call_id":"c2","content":"shipped"},{"role":"assistant","content":"It has shipped."}]}`,
}

func writeData(t *testing.T, name string, lines []string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckDataFiveDefects(t *testing.T) {
	p := writeData(t, "train.jsonl", fiveDefects)
	code, out, _ := runCheckDataCLI(t, "check-data", p)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		"train.jsonl:2: error chat.invalid_json",
		"train.jsonl:3: error chat.bad_role",
		"train.jsonl:4: error chat.empty_content",
		"train.jsonl:5: error chat.last_not_assistant",
		"train.jsonl:6: error chat.unknown_tool_call_id",
		"train.jsonl: 6 samples, 1 valid",
		"5 errors, 0 warnings",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckDataJSON(t *testing.T) {
	p := writeData(t, "train.jsonl", fiveDefects)
	code, out, _ := runCheckDataCLI(t, "check-data", "--json", p)
	var rep chatdata.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if code != 1 || rep.Errors != 5 || len(rep.Issues) != 5 || rep.Issues[0].Line != 2 || rep.Files[0].Samples != 6 {
		t.Fatalf("exit %d, report %+v", code, rep)
	}
}

func TestCheckDataCleanAndSplits(t *testing.T) {
	train := writeData(t, "train.jsonl", fiveDefects[:1])
	val := writeData(t, "validation.jsonl", []string{`{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}`})
	code, out, _ := runCheckDataCLI(t, "check-data", train, val)
	if code != 0 || !strings.Contains(out, "0 errors, 0 warnings") || !strings.Contains(out, "validation.jsonl: 1 samples, 1 valid") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out, _ = runCheckDataCLI(t, "check-data", train, writeData(t, "validation.jsonl", fiveDefects[:1]))
	if code != 1 || !strings.Contains(out, "validation.jsonl:1: error chat.split_overlap: the same sample is in the train split (train.jsonl:1)") {
		t.Fatalf("overlap: exit %d\n%s", code, out)
	}
}

func TestCheckDataErrors(t *testing.T) {
	if code, _, errOut := runCheckDataCLI(t, "check-data"); code != 2 || !strings.Contains(errOut, "FILE") {
		t.Errorf("no file: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCheckDataCLI(t, "check-data", "/nonexistent/train.jsonl"); code != 1 || !strings.Contains(errOut, "/nonexistent/train.jsonl") {
		t.Errorf("missing file: exit %d %s", code, errOut)
	}
	lines := make([]string, 20)
	for i := range lines {
		lines[i] = "{"
	}
	code, out, _ := runCheckDataCLI(t, "check-data", "--max-issues", "3", writeData(t, "bad.jsonl", lines))
	if code != 1 || strings.Count(out, "chat.invalid_json") != 3 || !strings.Contains(out, "17 more issues") {
		t.Errorf("max issues: exit %d\n%s", code, out)
	}
}
