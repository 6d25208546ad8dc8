package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// KindOpenAI is the runner kind of OpenAI-compatible endpoints.
const KindOpenAI = "openai"

// OpenAIOptions configure an OpenAI-compatible runner.
type OpenAIOptions struct {
	// Endpoint is the base URL (without /v1); with Command it may hold
	// {port}, and defaults to http://127.0.0.1:{port}.
	Endpoint string
	// Model is the model id sent; empty: the first one /v1/models lists.
	Model string
	// KeyEnv names the environment variable holding the API key.
	KeyEnv string
	// Command, when set, starts the server for the run: {dir} is Dir,
	// {port} a free loopback port. The runner waits until /v1/models
	// answers and stops the process group on Close.
	Command []string
	Dir     string
	// Chat sends Request.Messages to /v1/chat/completions (the runtime
	// applies its template) instead of the rendered prompt to
	// /v1/completions.
	Chat           bool
	Settings       Settings
	RequestTimeout time.Duration
	StartTimeout   time.Duration
	// Retries is the number of retries of a transient failure (0: the
	// default; negative: none).
	Retries int
}

type openAI struct {
	c    *client
	srv  *server
	chat bool
	info Info
}

// NewOpenAI connects to (or starts) an OpenAI-compatible server and asks
// what it serves.
func NewOpenAI(ctx context.Context, o OpenAIOptions) (Runner, error) {
	key := ""
	if o.KeyEnv != "" {
		if key = os.Getenv(o.KeyEnv); key == "" {
			return nil, fmt.Errorf("openai: the environment variable %s (the API key) is empty or unset", o.KeyEnv)
		}
	}
	r := &openAI{chat: o.Chat, info: Info{Kind: KindOpenAI, Model: o.Model, Settings: o.Settings.WithDefaults()}}
	endpoint := o.Endpoint
	if len(o.Command) > 0 {
		if err := r.start(ctx, o, &endpoint); err != nil {
			return nil, err
		}
	}
	if endpoint == "" {
		return nil, errors.New("openai: endpoint is required without a command")
	}
	r.info.Endpoint = strings.TrimRight(endpoint, "/")
	r.c = newClient(KindOpenAI, r.info.Endpoint, key, o.RequestTimeout, retries(o.Retries))
	if err := r.models(ctx); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func retries(n int) int {
	if n == 0 {
		return DefaultRetries
	}
	return n
}

func (r *openAI) start(ctx context.Context, o OpenAIOptions, endpoint *string) error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("openai: start: %w", err)
	}
	if *endpoint == "" {
		*endpoint = "http://127.0.0.1:{port}"
	}
	*endpoint = expand([]string{*endpoint}, o.Dir, port)[0]
	argv := expand(o.Command, o.Dir, port)
	srv, err := startServer("openai "+argv[0], argv, nil)
	if err != nil {
		return err
	}
	if err := srv.waitReady(ctx, strings.TrimRight(*endpoint, "/")+"/v1/models", o.StartTimeout); err != nil {
		srv.stop()
		return err
	}
	r.srv, r.info.Bound, r.info.Started = srv, o.Dir != "", true
	return nil
}

// models records what the endpoint serves and picks the model.
func (r *openAI) models(ctx context.Context) error {
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := r.c.do(ctx, "models", http.MethodGet, "/v1/models", nil, &list); err != nil {
		return err
	}
	for _, m := range list.Data {
		r.info.Served = append(r.info.Served, m.ID)
	}
	if r.info.Model == "" {
		if len(r.info.Served) == 0 {
			return fmt.Errorf("openai %s/v1/models: models: the endpoint serves no model and none is configured", r.info.Endpoint)
		}
		r.info.Model = r.info.Served[0]
	}
	return nil
}

func (r *openAI) Info() Info { return r.info }

func (r *openAI) Close() error {
	if r.srv == nil {
		return nil
	}
	return r.srv.stop()
}

type openAIAnswer struct {
	Choices []struct {
		Text         string `json:"text"`
		FinishReason string `json:"finish_reason"`
		Message      struct {
			Content string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func (r *openAI) Generate(ctx context.Context, req Request) (Response, error) {
	s := r.info.Settings
	body := map[string]any{"model": r.info.Model, "temperature": s.Temperature, "seed": s.Seed,
		"max_tokens": s.MaxTokens, "top_p": *s.TopP, "stream": false}
	if len(s.Stop) > 0 {
		body["stop"] = s.Stop
	}
	path := "/v1/completions"
	if r.chat {
		path, body["messages"] = "/v1/chat/completions", req.Messages
	} else {
		body["prompt"] = req.Prompt
	}
	var a openAIAnswer
	if err := r.c.do(ctx, "generate "+req.ID, http.MethodPost, path, body, &a); err != nil {
		return Response{}, err
	}
	if len(a.Choices) == 0 {
		return Response{}, fmt.Errorf("openai %s%s: generate %s: the answer has no choices", r.info.Endpoint, path, req.ID)
	}
	ch := a.Choices[0]
	text := ch.Text
	if r.chat {
		text = ch.Message.Content
	}
	return Response{Text: text, PromptTokens: a.Usage.PromptTokens, Tokens: a.Usage.CompletionTokens, Finish: ch.FinishReason}, nil
}

// String names the runner without its key.
func (r *openAI) String() string { return "openai " + r.info.Endpoint }
