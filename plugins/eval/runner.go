package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/runner"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// runnerConfig is the runner block: its kind and that kind's settings.
type runnerConfig struct {
	Kind      string   `json:"kind"`
	Endpoint  string   `json:"endpoint"`
	Model     string   `json:"model"`
	KeyEnv    string   `json:"api_key_env"`
	Command   []string `json:"command"`
	Binary    string   `json:"binary"`
	File      string   `json:"file"`
	MaxTokens int      `json:"max_tokens"`
	Seed      int64    `json:"seed"`
	Stop      []string `json:"stop"`
	// Concurrency is how many requests are in flight (default: 1 for
	// ollama, whose batched decoding is not bit-stable, 4 otherwise).
	Concurrency    int    `json:"concurrency"`
	RequestTimeout string `json:"request_timeout"`
	Timeout        string `json:"timeout"`
	StartTimeout   string `json:"start_timeout"`
	Retries        int    `json:"retries"`
}

// check returns the runner block's problems, with attribute paths.
func (r *runnerConfig) check() []specv1.Diagnostic {
	var ds []specv1.Diagnostic
	switch r.Kind {
	case runner.KindOpenAI:
		if r.Endpoint == "" && len(r.Command) == 0 {
			ds = append(ds, diag("runner openai: endpoint or command is required", "runner", "endpoint"))
		}
	case runner.KindOllama:
		if len(r.Command) > 0 || r.Endpoint != "" {
			ds = append(ds, diag("runner ollama: ckpt starts and stops its own Ollama server; use kind openai for an endpoint or a command", "runner", "kind"))
		}
	default:
		ds = append(ds, diag(fmt.Sprintf("runner kind %q; want openai or ollama", r.Kind), "runner", "kind"))
	}
	for name, v := range map[string]string{"request_timeout": r.RequestTimeout, "timeout": r.Timeout, "start_timeout": r.StartTimeout} {
		if _, err := duration(v); err != nil {
			ds = append(ds, diag(fmt.Sprintf("runner %s %q: want a duration such as \"90s\"", name, v), "runner", name))
		}
	}
	if r.MaxTokens < 0 || r.Concurrency < 0 {
		ds = append(ds, diag("runner max_tokens and concurrency must be ≥ 0", "runner"))
	}
	return ds
}

func duration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// Target is what a runner runs: a model folder or a GGUF file, with the
// digest every prediction carries.
type Target struct {
	Dir    string
	Digest string
}

// Start builds the runner for a target; scratch holds a managed server's
// files. stop is the tokenizer's EOS from the template, when known.
func (r *runnerConfig) Start(ctx context.Context, t Target, scratch string, chat bool, stop []string) (runner.Runner, error) {
	req, _ := duration(r.RequestTimeout)
	start, _ := duration(r.StartTimeout)
	s := runner.Settings{Seed: r.Seed, MaxTokens: r.MaxTokens, Stop: r.Stop}
	if len(s.Stop) == 0 {
		s.Stop = stop
	}
	if r.Kind == runner.KindOllama {
		gguf, err := r.gguf(t.Dir)
		if err != nil {
			return nil, err
		}
		return runner.NewOllama(ctx, runner.OllamaOptions{Binary: r.Binary, GGUF: gguf, Dir: scratch, Chat: chat,
			Settings: s, Concurrency: r.concurrency(), RequestTimeout: req, StartTimeout: start, Retries: r.Retries})
	}
	return runner.NewOpenAI(ctx, runner.OpenAIOptions{Endpoint: r.Endpoint, Model: r.Model, KeyEnv: r.KeyEnv,
		Command: r.Command, Dir: t.Dir, Chat: chat, Settings: s, RequestTimeout: req, StartTimeout: start, Retries: r.Retries})
}

func (r *runnerConfig) concurrency() int {
	switch {
	case r.Concurrency > 0:
		return r.Concurrency
	case r.Kind == runner.KindOllama:
		return 1
	}
	return 4
}

// gguf finds the GGUF file the ollama runner loads: the target itself, the
// runner's file, or the one *.gguf in the target's folder.
func (r *runnerConfig) gguf(dir string) (string, error) {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return dir, nil
	}
	if r.File != "" {
		return filepath.Join(dir, r.File), nil
	}
	found, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	if len(found) != 1 {
		return "", fmt.Errorf("runner ollama: %s holds %d GGUF files, want one (export the target with export \"gguf\", or name it with runner.file)", dir, len(found))
	}
	return found[0], nil
}

// RunOptions are the run limits of the runner block.
func (r *runnerConfig) RunOptions(progress func(done, total int)) runner.Options {
	t, _ := duration(r.Timeout)
	return runner.Options{Concurrency: r.concurrency(), Timeout: t, Progress: progress}
}

// promptOptions renders with the target's template unless the runtime
// applies its own; the template's EOS is the stop sequence.
func promptOptions(ctx context.Context, cfg *config, t Target, scratch string, progress func(done, total int)) (jsoneval.GenerateOptions, runner.Runner, error) {
	g := jsoneval.GenerateOptions{Prompts: cfg.Prompts, Target: t.Digest, Run: cfg.Runner.RunOptions(progress)}
	var stop []string
	tmpl, err := jsoneval.LoadTemplate(templateDir(t.Dir))
	switch {
	case err == nil:
		stop = []string{tmpl.Vars.EOS}
		if cfg.Template != jsoneval.TemplateRuntime {
			g.Template = tmpl
		}
	case cfg.Template != jsoneval.TemplateRuntime:
		return g, nil, err
	}
	r, err := cfg.Runner.Start(ctx, t, scratch, g.Template == nil, stop)
	g.Runner = r
	return g, r, err
}

func templateDir(p string) string {
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return filepath.Dir(p)
	}
	return p
}

func decodeRunner(raw json.RawMessage) (*runnerConfig, error) {
	if len(raw) == 0 || strings.TrimSpace(string(raw)) == "null" {
		return nil, nil
	}
	var r runnerConfig
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("runner: want an object with kind and its settings: %w", err)
	}
	return &r, nil
}
