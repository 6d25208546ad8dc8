package dataset

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatdata"
	"github.com/ckpt-dev/ckpt/plugins/plugintest"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

const (
	good1 = `{"messages":[{"role":"user","content":"Reset my password"},{"role":"assistant","content":"Go to Settings > Security."}]}`
	good2 = `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Cancel order 7"},{"role":"assistant","content":"Order 7 is cancelled."}]}`
	good3 = `{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello! How can I help?"}]}`
)

type events struct{ logs []string }

func (e *events) Log(msg string)                { e.logs = append(e.logs, msg) }
func (e *events) Progress(int64, int64, string) {}
func (e *events) Diagnostic(specv1.Diagnostic)  {}

func write(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runStep(t *testing.T, cfg map[string]any) (*specv1.Metadata, string, error) {
	t.Helper()
	b, _ := json.Marshal(cfg)
	out := t.TempDir()
	md, err := Components()[0].Run(context.Background(), &specv1.RunRequest{Kind: "dataset", Type: "chat", Step: "dataset.support",
		Config: b, OutputDir: out, ScratchDir: t.TempDir()}, &events{})
	return md, out, err
}

func TestRunClean(t *testing.T) {
	dir := t.TempDir()
	train := write(t, dir, "train.jsonl", good1, good2)
	val := write(t, dir, "validation.jsonl", good3)
	md, out, err := runStep(t, map[string]any{"train": train, "validation": val, "id": "support-tickets@2026-10-01", "license": "CC-BY-4.0"})
	if err != nil {
		t.Fatal(err)
	}
	if md.Kind != "dataset" || md.ID != "support-tickets@2026-10-01" || md.License != "CC-BY-4.0" || len(md.Findings) != 0 {
		t.Fatalf("metadata %+v", md)
	}
	var extra Extra
	if err := json.Unmarshal(md.Extra, &extra); err != nil || len(extra.Files) != 2 || extra.Files[0].Samples != 2 || extra.Files[1].Split != "validation" {
		t.Fatalf("extra %s: %v", md.Extra, err)
	}
	for _, name := range []string{"train.jsonl", "validation.jsonl"} {
		target, err := os.Readlink(filepath.Join(out, name))
		if err != nil || target != filepath.Join(dir, name) {
			t.Errorf("%s links to %q (%v), want the user's file, referred to", name, target, err)
		}
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Sys().(*syscall.Stat_t).Nlink != 1 {
			t.Errorf("the user's %s was hard-linked", name)
		}
	}
	var rep Report
	b, err := os.ReadFile(filepath.Join(out, ReportFile))
	if err != nil || json.Unmarshal(b, &rep) != nil || rep.ID != "support-tickets@2026-10-01" || rep.Errors != 0 {
		t.Fatalf("report %s: %v", b, err)
	}
}

func TestRunDefects(t *testing.T) {
	dir := t.TempDir()
	train := write(t, dir, "train.jsonl", good1, `{"messages":[{"role":"user","content":"q"}]}`, good2)
	val := write(t, filepath.Join(t.TempDir()), "train.jsonl", good2)
	md, out, err := runStep(t, map[string]any{"train": train, "validation": val})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range md.Findings {
		got = append(got, f.File+":"+f.Path+":"+f.Code+":"+f.Severity)
	}
	want := "train.jsonl:line 2:chat.last_not_assistant:error train.jsonl:line 1:chat.split_overlap:error"
	if strings.Join(got, " ") != want {
		t.Fatalf("findings\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if _, err := os.Stat(filepath.Join(out, "validation-train.jsonl")); err != nil {
		t.Errorf("same-named validation file: %v", err)
	}
}

func TestRunEmptyValidation(t *testing.T) {
	dir := t.TempDir()
	md, _, err := runStep(t, map[string]any{"train": write(t, dir, "train.jsonl", good1), "validation": write(t, dir, "val.jsonl", "")})
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Findings) != 1 || md.Findings[0].Code != chatdata.CodeEmptySplit || md.Findings[0].File != "val.jsonl" {
		t.Fatalf("findings %+v", md.Findings)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runStep(t, map[string]any{"train": write(t, dir, "train.jsonl", good1), "validation": filepath.Join(dir, "missing.jsonl")})
	if err == nil || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Fatalf("missing validation: %v", err)
	}
	if _, _, err := runStep(t, map[string]any{"id": "x"}); err == nil || !strings.Contains(err.Error(), "train") {
		t.Fatalf("no train: %v", err)
	}
	ds := Components()[0].Validate(context.Background(), &specv1.ValidateRequest{Config: json.RawMessage(`{"train": 3}`)})
	if len(ds) == 0 || ds[0].Severity != specv1.SeverityError {
		t.Fatalf("bad config: %+v", ds)
	}
}

func TestManyIssuesStillFail(t *testing.T) {
	lines := make([]string, 150)
	for i := range lines {
		lines[i] = "not json"
	}
	md, _, err := runStep(t, map[string]any{"train": write(t, t.TempDir(), "train.jsonl", lines...)})
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Findings) != maxFindings+1 || md.Findings[maxFindings].Code != "chat.more" {
		t.Fatalf("%d findings", len(md.Findings))
	}
}

func TestConformance(t *testing.T) {
	plugintest.Run(t, &sdk.Plugin{Name: "builtin", Version: "test", Components: Components()}, plugintest.Case{
		Component: "dataset.chat",
		Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			cfg, _ := json.Marshal(map[string]any{"train": write(t, dir, "train.jsonl", good1, good2),
				"validation": write(t, dir, "validation.jsonl", good3), "id": "d@1", "license": "MIT"})
			return cfg, nil
		},
	})
}
