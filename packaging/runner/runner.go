package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Settings and Options.
const (
	DefaultMaxTokens      = 256
	DefaultSeed           = 42
	DefaultRequestTimeout = 2 * time.Minute
	DefaultStartTimeout   = 2 * time.Minute
	DefaultRetries        = 3
)

// Settings are the generation settings sent with every request, exactly
// as sent, and recorded with every prediction. Temperature is always 0
// (greedy). A nil sampler setting was not sent: the runtime applied its own
// default (an OpenAI-compatible API has no standard top_k or repeat
// penalty, and strict servers refuse unknown fields).
type Settings struct {
	Temperature   float64  `json:"temperature"`
	Seed          int64    `json:"seed"`
	MaxTokens     int      `json:"max_tokens"`
	Stop          []string `json:"stop,omitempty"`
	TopK          *int     `json:"top_k,omitempty"`
	TopP          *float64 `json:"top_p,omitempty"`
	RepeatPenalty *float64 `json:"repeat_penalty,omitempty"`
}

// WithDefaults fills the zero fields.
func (s Settings) WithDefaults() Settings {
	s.Temperature = 0
	if s.Seed == 0 {
		s.Seed = DefaultSeed
	}
	if s.MaxTokens <= 0 {
		s.MaxTokens = DefaultMaxTokens
	}
	one := 1.0
	s.TopP = &one
	return s
}

// greedy also pins the samplers a runtime such as Ollama applies even at
// temperature 0: top_k 1 and no repeat penalty (Ollama's default is 1.1,
// which llama.cpp's greedy decoding does not apply).
func (s Settings) greedy() Settings {
	s = s.WithDefaults()
	k, one := 1, 1.0
	s.TopK, s.RepeatPenalty = &k, &one
	return s
}

// Request is one prompt: Prompt is the text ckpt rendered, sent raw;
// Messages (a JSON list of chat messages) is sent instead when the runtime
// applies its own template.
type Request struct {
	ID       string
	Prompt   string
	Messages json.RawMessage
}

// Response is the runtime's answer to one Request.
type Response struct {
	Text string
	// PromptTokens is the prompt length the runtime counted with the
	// model's tokenizer (0 when it did not say).
	PromptTokens int
	// Tokens is the number of generated tokens; Finish why it stopped.
	Tokens int
	Finish string
}

// Info describes what answered, for the report and every prediction row.
type Info struct {
	Kind string `json:"kind"`
	// Endpoint is the base URL (never with credentials).
	Endpoint string `json:"endpoint"`
	Model    string `json:"model"`
	// Served is what the endpoint says it serves (model ids, digests).
	Served []string `json:"served,omitempty"`
	// Digest is the sha256 of the file the runtime loaded, when known.
	Digest string `json:"digest,omitempty"`
	// Bound is true only when the runner started the server itself on the
	// target's files, so the outputs are provably the target's.
	Bound bool `json:"bound"`
	// Started says the runner started the runtime for the run (a managed
	// Ollama, an openai command); an eval then requires Bound by default.
	Started  bool     `json:"started,omitempty"`
	Settings Settings `json:"settings"`
	// Concurrency is how many requests were in flight at most.
	Concurrency int `json:"concurrency"`
}

// Runner answers prompts. Close stops what the runner started.
type Runner interface {
	Generate(ctx context.Context, req Request) (Response, error)
	Info() Info
	Close() error
}

// Options bound a run of many requests.
type Options struct {
	// Concurrency is the number of requests in flight (≤ 0: 1).
	Concurrency int
	// Timeout bounds the whole run (0: none).
	Timeout time.Duration
	// Progress, when set, is called after each answer with done of total.
	Progress func(done, total int)
}

// Run sends every request, at most opts.Concurrency at a time, and returns
// the responses in request order. The first error cancels the rest.
func Run(ctx context.Context, r Runner, reqs []Request, opts Options) ([]Response, error) {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, opts.Timeout,
			fmt.Errorf("%s %s: run timeout after %s", r.Info().Kind, r.Info().Endpoint, opts.Timeout))
		defer cancel()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	n := max(opts.Concurrency, 1)
	out := make([]Response, len(reqs))
	var next atomic.Int64
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for range min(n, len(reqs)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(reqs) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				resp, err := r.Generate(ctx, reqs[i])
				if err != nil {
					cancel(err)
					return
				}
				out[i] = resp
				mu.Lock()
				done++
				if opts.Progress != nil {
					opts.Progress(done, len(reqs))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}
