package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// The files of a runner step's artifact (specs/plugin-protocol.md).
const (
	PredictionsFile = "predictions.jsonl"
	GenerationFile  = "generation.json"
)

// Runner is runner "table".
type Runner struct{}

type config struct {
	Target  string `json:"target"`
	Prompts string `json:"prompts"`
	Answers string `json:"answers"`
}

// Describe declares the runner kind and its configuration.
func (Runner) Describe() specv1.Component {
	return specv1.Component{Kind: specv1.KindRunner, Type: "table",
		Description: "Answers each prompt from a table of recorded outputs (id, output); the answers are not bound to the target's weights.",
		Schema: specv1.Schema{Attributes: []specv1.Attribute{
			{Name: "target", Type: specv1.TypeStep, Required: true, Description: "The model the answers are attributed to."},
			{Name: "prompts", Type: specv1.TypePath, Required: true, Description: "Prompts JSONL (id, messages, expected, tags)."},
			{Name: "answers", Type: specv1.TypePath, Required: true, Description: "Answers JSONL: one {id, output} per prompt."},
		}}}
}

// Validate checks the configuration.
func (Runner) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	_, ds := decode(req.Config)
	return ds
}

func decode(raw json.RawMessage) (config, []specv1.Diagnostic) {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: "invalid config: " + err.Error()}}
	}
	var ds []specv1.Diagnostic
	for name, v := range map[string]string{"target": c.Target, "prompts": c.Prompts, "answers": c.Answers} {
		if v == "" {
			ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: name + " is required", Path: []string{name}})
		}
	}
	return c, ds
}

// prompt is one line of the prompts file, passed through to its row.
type prompt struct {
	ID       string          `json:"id"`
	Messages json.RawMessage `json:"messages"`
	Expected json.RawMessage `json:"expected,omitempty"`
	Tags     []string        `json:"tags,omitempty"`
}

// info says what answered; bound is false: nothing proves the weights.
type info struct {
	Kind     string         `json:"kind"`
	Endpoint string         `json:"endpoint"`
	Model    string         `json:"model"`
	Bound    bool           `json:"bound"`
	Settings map[string]any `json:"settings"`
}

// row is one prediction, carrying the target's digest and the runner.
type row struct {
	prompt
	Output string `json:"output"`
	Target string `json:"target_digest"`
	Runner *info  `json:"runner"`
}

// Run answers every prompt from the table and writes the artifact.
func (Runner) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, ds := decode(req.Config)
	if len(ds) > 0 {
		return nil, errors.New(ds[0].Summary)
	}
	var target *specv1.Input
	for i := range req.Inputs {
		if req.Inputs[i].Attr == "target" {
			target = &req.Inputs[i]
		}
	}
	if target == nil {
		return nil, errors.New("no target input")
	}
	answers, err := readAnswers(cfg.Answers)
	if err != nil {
		return nil, err
	}
	ps, digest, err := readPrompts(cfg.Prompts)
	if err != nil {
		return nil, err
	}
	in := &info{Kind: "table", Endpoint: "file:" + filepath.Base(cfg.Answers), Model: filepath.Base(cfg.Answers), Settings: map[string]any{}}
	if err := writeRows(ctx, filepath.Join(req.OutputDir, PredictionsFile), ps, answers, target.Digest, in, cfg.Answers); err != nil {
		return nil, err
	}
	gen := map[string]any{"prompts": filepath.Base(cfg.Prompts), "prompts_digest": digest, "template": "none",
		"runner": in, "bound": false, "target_digest": target.Digest}
	b, _ := json.MarshalIndent(gen, "", "  ")
	if err := os.WriteFile(filepath.Join(req.OutputDir, GenerationFile), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	ev.Log(fmt.Sprintf("%d prompts answered from %s", len(ps), filepath.Base(cfg.Answers)))
	m := target.Metadata
	return &specv1.Metadata{Kind: specv1.KindRunner, License: m.License, Lineage: m.Lineage, Notices: m.Notices}, nil
}

func writeRows(ctx context.Context, path string, ps []prompt, answers map[string]string, digest string, in *info, table string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, p := range ps {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, ok := answers[p.ID]
		if !ok {
			return fmt.Errorf("%s: no answer for prompt %q", table, p.ID)
		}
		if err := enc.Encode(row{prompt: p, Output: out, Target: digest, Runner: in}); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// readPrompts reads the prompts and the sha256 of the file.
func readPrompts(path string) ([]prompt, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	var ps []prompt
	err = eachLine(path, b, func(line []byte) error {
		var p prompt
		if err := json.Unmarshal(line, &p); err != nil || p.ID == "" {
			return fmt.Errorf("want an object with an id (%v)", err)
		}
		ps = append(ps, p)
		return nil
	})
	sum := sha256.Sum256(b)
	return ps, "sha256:" + hex.EncodeToString(sum[:]), err
}

// readAnswers reads the table: id → output.
func readAnswers(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	return m, eachLine(path, b, func(line []byte) error {
		var a struct {
			ID     string  `json:"id"`
			Output *string `json:"output"`
		}
		if err := json.Unmarshal(line, &a); err != nil || a.ID == "" || a.Output == nil {
			return fmt.Errorf("want {\"id\": ..., \"output\": ...} (%v)", err)
		}
		if _, dup := m[a.ID]; dup {
			return fmt.Errorf("duplicate id %q", a.ID)
		}
		m[a.ID] = *a.Output
		return nil
	})
}

// eachLine calls fn with every non-blank line; its error names path:line.
func eachLine(path string, b []byte, fn func([]byte) error) error {
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Buffer(nil, 16<<20)
	for n := 1; s.Scan(); n++ {
		if len(bytes.TrimSpace(s.Bytes())) == 0 {
			continue
		}
		if err := fn(s.Bytes()); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return s.Err()
}
