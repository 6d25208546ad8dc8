package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Config is a runner block as a spec or a command line gives it: the
// kind and that kind's settings (durations as strings such as "90s").
type Config struct {
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
	// Requests is how many requests are in flight (see Concurrency).
	Requests       int    `json:"concurrency"`
	RequestTimeout string `json:"request_timeout"`
	Timeout        string `json:"timeout"`
	StartTimeout   string `json:"start_timeout"`
	Retries        int    `json:"retries"`
}

// Check returns the block's problems, with attribute paths under "runner".
func (r *Config) Check() []specv1.Diagnostic {
	var ds []specv1.Diagnostic
	switch r.Kind {
	case KindOpenAI:
		if r.Endpoint == "" && len(r.Command) == 0 {
			ds = append(ds, diag("runner openai: endpoint or command is required", "runner", "endpoint"))
		}
	case KindOllama:
		if len(r.Command) > 0 || r.Endpoint != "" {
			ds = append(ds, diag("runner ollama: ckpt starts and stops its own Ollama server; use kind openai for an endpoint or a command", "runner", "kind"))
		}
	default:
		ds = append(ds, diag(fmt.Sprintf("runner kind %q; want openai or ollama", r.Kind), "runner", "kind"))
	}
	for _, d := range []struct{ name, v string }{{"request_timeout", r.RequestTimeout}, {"timeout", r.Timeout}, {"start_timeout", r.StartTimeout}} {
		if _, err := duration(d.v); err != nil {
			ds = append(ds, diag(fmt.Sprintf("runner %s %q: want a duration such as \"90s\"", d.name, d.v), "runner", d.name))
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"max_tokens", r.MaxTokens}, {"concurrency", r.Requests}} {
		if n.v < 0 {
			ds = append(ds, diag(fmt.Sprintf("runner %s is %d; want a whole number ≥ 0", n.name, n.v), "runner", n.name))
		}
	}
	return ds
}

func duration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// Start builds the runner for a target (a model folder or a GGUF file); scratch holds a managed server's
// files. stop is the tokenizer's EOS from the template, when known.
func (r *Config) Start(ctx context.Context, target, scratch string, chat bool, stop []string) (Runner, error) {
	req, _ := duration(r.RequestTimeout)
	start, _ := duration(r.StartTimeout)
	s := Settings{Seed: r.Seed, MaxTokens: r.MaxTokens, Stop: r.Stop}
	if len(s.Stop) == 0 {
		s.Stop = stop
	}
	if r.Kind == KindOllama {
		gguf, err := r.GGUF(target)
		if err != nil {
			return nil, err
		}
		return NewOllama(ctx, OllamaOptions{Binary: r.Binary, GGUF: gguf, Dir: scratch, Chat: chat,
			Settings: s, Concurrency: r.Concurrency(), RequestTimeout: req, StartTimeout: start, Retries: r.Retries})
	}
	return NewOpenAI(ctx, OpenAIOptions{Endpoint: r.Endpoint, Model: r.Model, KeyEnv: r.KeyEnv,
		Command: r.Command, Dir: target, Chat: chat, Settings: s, RequestTimeout: req, StartTimeout: start, Retries: r.Retries})
}

// Concurrency is the configured one, else 1 for ollama and 4 otherwise.
func (r *Config) Concurrency() int {
	switch {
	case r.Requests > 0:
		return r.Requests
	case r.Kind == KindOllama:
		return 1
	}
	return 4
}

// GGUF finds the GGUF file the ollama runner loads: the target itself, the
// runner's file, or the one *.gguf in the target's folder.
func (r *Config) GGUF(dir string) (string, error) {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return dir, nil
	}
	if r.File != "" {
		return filepath.Join(dir, r.File), nil
	}
	found, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	if len(found) != 1 {
		return "", fmt.Errorf("runner ollama: %s holds %d GGUF files, want one (export the target with export \"gguf\", or name it with file)", dir, len(found))
	}
	return found[0], nil
}

// RunOptions are the run limits of the runner block.
func (r *Config) RunOptions(progress func(done, total int)) Options {
	t, _ := duration(r.Timeout)
	return Options{Concurrency: r.Concurrency(), Timeout: t, Progress: progress}
}

// Decode reads a runner block; nil when raw is empty or null. Unknown
// settings are refused, and so is a literal key: keys come from the
// environment (api_key_env) so that no spec, ledger or store holds one.
func Decode(raw json.RawMessage) (*Config, error) {
	if len(raw) == 0 || strings.TrimSpace(string(raw)) == "null" {
		return nil, nil
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) == nil {
		if _, ok := keys["api_key"]; ok {
			return nil, errors.New("runner: api_key is not accepted; put the key in an environment variable and name it in api_key_env")
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var r Config
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("runner: want an object with kind and its settings: %w", err)
	}
	return &r, nil
}

func diag(summary string, path ...string) specv1.Diagnostic {
	return specv1.Diagnostic{Severity: specv1.SeverityError, Summary: summary, Path: path}
}
