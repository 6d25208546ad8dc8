package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/plugintest"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func setup(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
	abs := func(f string) string { p, _ := filepath.Abs(f); return p }
	cfg, _ := json.Marshal(map[string]string{"target": "model.base", "prompts": abs("prompts.jsonl"), "answers": abs("answers.jsonl")})
	os.MkdirAll(filepath.Join(dir, "model"), 0o755)
	return cfg, []specv1.Input{{Step: "model.base", Attr: "target", Dir: filepath.Join(dir, "model"),
		Digest: "sha256:" + strings.Repeat("a", 64), Metadata: specv1.Metadata{Kind: "model", License: "Apache-2.0"}}}
}

func TestConformance(t *testing.T) {
	plugintest.Run(t, Plugin(), plugintest.Case{Component: "runner.table", Setup: setup,
		Invalid: []json.RawMessage{[]byte(`{"target":"model.base","prompts":"p"}`)}})
}

type events struct{}

func (events) Log(string)                    {}
func (events) Progress(int64, int64, string) {}
func (events) Diagnostic(specv1.Diagnostic)  {}

func run(t *testing.T, cfg json.RawMessage, ins []specv1.Input) (string, error) {
	out := t.TempDir()
	_, err := Runner{}.Run(context.Background(), &specv1.RunRequest{Kind: "runner", Type: "table", Step: "runner.r",
		Config: cfg, Inputs: ins, OutputDir: out, ScratchDir: t.TempDir()}, events{})
	return out, err
}

func TestRowsCarryTheTarget(t *testing.T) {
	cfg, ins := setup(t, t.TempDir())
	out, err := run(t, cfg, ins)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(out, PredictionsFile))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"target_digest":"`+ins[0].Digest+`"`) || !strings.Contains(lines[1], `"id":"p2"`) {
		t.Errorf("predictions:\n%s", b)
	}
	var g map[string]any
	b, _ = os.ReadFile(filepath.Join(out, GenerationFile))
	if json.Unmarshal(b, &g) != nil || g["target_digest"] != ins[0].Digest || g["bound"] != false {
		t.Errorf("generation %s", b)
	}
}

func TestMissingAnswer(t *testing.T) {
	dir := t.TempDir()
	answers := filepath.Join(dir, "answers.jsonl")
	os.WriteFile(answers, []byte(`{"id":"p1","output":"{}"}`+"\n"+`{"id":"p1","output":"{}"}`+"\n"), 0o644)
	_, ins := setup(t, dir)
	prompts, _ := filepath.Abs("prompts.jsonl")
	cfg, _ := json.Marshal(map[string]string{"target": "model.base", "prompts": prompts, "answers": answers})
	if _, err := run(t, cfg, ins); err == nil || !strings.Contains(err.Error(), answers+":2: duplicate id \"p1\"") {
		t.Fatalf("duplicate answer: err = %v", err)
	}
	os.WriteFile(answers, []byte(`{"id":"p1","output":"{}"}`+"\n"), 0o644)
	if _, err := run(t, cfg, ins); err == nil || !strings.Contains(err.Error(), `no answer for prompt "p2"`) {
		t.Fatalf("missing answer: err = %v", err)
	}
}
