package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// KindOllama is the runner kind of a managed Ollama server.
const KindOllama = "ollama"

// OllamaOptions configure a managed Ollama server loading one GGUF file.
type OllamaOptions struct {
	// Binary is the ollama executable (default: "ollama" on PATH).
	Binary string
	// GGUF is the model file; Digest its sha256 ("sha256:…"), computed
	// when empty.
	GGUF   string
	Digest string
	// Dir is a scratch folder for the server's HOME and OLLAMA_MODELS.
	Dir string
	// Chat sends messages to /api/chat (Ollama's template) instead of the
	// rendered prompt to /api/generate in raw mode.
	Chat           bool
	Settings       Settings
	Concurrency    int
	RequestTimeout time.Duration
	StartTimeout   time.Duration
	Retries        int
}

type ollama struct {
	c    *client
	srv  *server
	chat bool
	info Info
}

// NewOllama starts `ollama serve` on a free loopback port with its own
// model folder, uploads the GGUF as a blob by digest and creates a model
// from it.
func NewOllama(ctx context.Context, o OllamaOptions) (Runner, error) {
	if o.Binary == "" {
		o.Binary = "ollama"
	}
	if o.Digest == "" {
		d, err := FileDigest(o.GGUF)
		if err != nil {
			return nil, fmt.Errorf("ollama: %w", err)
		}
		o.Digest = d
	}
	if hex := strings.TrimPrefix(o.Digest, "sha256:"); len(hex) != 64 || hex == o.Digest {
		return nil, fmt.Errorf("ollama: digest %q is not sha256:<64 hex>", o.Digest)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("ollama: start: %w", err)
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	r := &ollama{chat: o.Chat, info: Info{Kind: KindOllama, Endpoint: endpoint, Digest: o.Digest, Bound: true, Started: true,
		Model: "ckpt-" + strings.TrimPrefix(o.Digest, "sha256:")[:12], Settings: o.Settings.greedy()}}
	if err := r.start(ctx, o, port); err != nil {
		return nil, err
	}
	r.c = newClient(KindOllama, endpoint, "", o.RequestTimeout, retries(o.Retries))
	if err := r.load(ctx, o.GGUF, o.Digest); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *ollama) start(ctx context.Context, o OllamaOptions, port int) error {
	home, models := filepath.Join(o.Dir, "home"), filepath.Join(o.Dir, "models")
	for _, d := range []string{home, models} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("ollama: start: %w", err)
		}
	}
	env := []string{fmt.Sprintf("OLLAMA_HOST=127.0.0.1:%d", port), "OLLAMA_MODELS=" + models, "HOME=" + home,
		fmt.Sprintf("OLLAMA_NUM_PARALLEL=%d", max(o.Concurrency, 1)), "OLLAMA_NOPRUNE=1"}
	srv, err := startServer("ollama "+r.info.Endpoint, []string{o.Binary, "serve"}, env)
	if err != nil {
		return err
	}
	if err := srv.waitReady(ctx, r.info.Endpoint+"/api/version", o.StartTimeout); err != nil {
		srv.stop()
		return err
	}
	r.srv = srv
	return nil
}

// load uploads the GGUF blob (Ollama checks its digest) and creates the
// model from it; Info.Served records the model's name and digest.
func (r *ollama) load(ctx context.Context, path, digest string) error {
	open := bodyFunc(func() (io.Reader, int64, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, fi.Size(), nil
	})
	if err := r.c.do(ctx, "upload "+filepath.Base(path), http.MethodPost, "/api/blobs/"+digest, open, nil); err != nil {
		return err
	}
	// The model's parameters are the request's samplers too, so that they
	// hold for every endpoint that serves it (/v1 included).
	create := map[string]any{"model": r.info.Model, "files": map[string]string{filepath.Base(path): digest}, "stream": false,
		"parameters": r.samplers()}
	if !r.chat {
		// The prompt is rendered already: even Ollama's OpenAI
		// /v1/completions (which is not raw) must not wrap it.
		create["template"] = "{{ .Prompt }}"
	}
	if err := r.c.do(ctx, "create "+r.info.Model, http.MethodPost, "/api/create", create, nil); err != nil {
		return err
	}
	var tags struct {
		Models []struct {
			Name   string `json:"name"`
			Digest string `json:"digest"`
		} `json:"models"`
	}
	if err := r.c.do(ctx, "models", http.MethodGet, "/api/tags", nil, &tags); err != nil {
		return err
	}
	for _, m := range tags.Models {
		r.info.Served = append(r.info.Served, m.Name+"@sha256:"+m.Digest)
	}
	return nil
}

func (r *ollama) Info() Info { return r.info }

func (r *ollama) Close() error {
	if r.srv == nil {
		return nil
	}
	return r.srv.stop()
}

// samplers are the Settings' top_k, top_p and repeat_penalty as Ollama
// options.
func (r *ollama) samplers() map[string]any {
	s := r.info.Settings
	return map[string]any{"top_k": *s.TopK, "top_p": *s.TopP, "repeat_penalty": *s.RepeatPenalty}
}

type ollamaAnswer struct {
	Response string `json:"response"`
	Message  struct {
		Content string `json:"content"`
	} `json:"message"`
	PromptEvalCount int    `json:"prompt_eval_count"`
	EvalCount       int    `json:"eval_count"`
	DoneReason      string `json:"done_reason"`
}

func (r *ollama) Generate(ctx context.Context, req Request) (Response, error) {
	s := r.info.Settings
	opts := r.samplers()
	opts["temperature"], opts["seed"], opts["num_predict"] = s.Temperature, s.Seed, s.MaxTokens
	if len(s.Stop) > 0 {
		opts["stop"] = s.Stop
	}
	body := map[string]any{"model": r.info.Model, "stream": false, "options": opts}
	path := "/api/generate"
	if r.chat {
		path, body["messages"] = "/api/chat", req.Messages
	} else {
		body["prompt"], body["raw"] = req.Prompt, true
	}
	var a ollamaAnswer
	if err := r.c.do(ctx, "generate "+req.ID, http.MethodPost, path, body, &a); err != nil {
		return Response{}, fmt.Errorf("%w; the server's output ends:\n%s", err, r.srv.log.last(1024))
	}
	text := a.Response
	if r.chat {
		text = a.Message.Content
	}
	return Response{Text: text, PromptTokens: a.PromptEvalCount, Tokens: a.EvalCount, Finish: a.DoneReason}, nil
}

// FileDigest is the sha256 of a file as "sha256:…".
func FileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
