package jsoneval

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/runner"
)

// PredictionsFile is the predictions a run of the target writes.
const PredictionsFile = "predictions.jsonl"

// GenerationFile is the Generation a runner step writes next to its
// predictions (the runner step's artifact is these two files).
const GenerationFile = "generation.json"

// Template modes.
const (
	TemplateRendered = "rendered"
	TemplateRuntime  = "runtime"
)

// Generation is how the predictions were produced: the prompts, the
// template that rendered them and what answered.
type Generation struct {
	Prompts       string `json:"prompts"`
	PromptsDigest string `json:"prompts_digest"`
	// Template is "rendered" (ckpt rendered the target's template and sent
	// the text raw) or "runtime" (the runtime applied its own).
	Template        string `json:"template"`
	TemplateFile    string `json:"template_file,omitempty"`
	TemplateVersion string `json:"template_version,omitempty"`
	// BOSStripped says the template's leading BOS text was left out of
	// the prompt sent: runtimes add BOS when they tokenize (as training
	// does after apply_chat_template with add_special_tokens=False).
	BOSStripped bool        `json:"bos_stripped,omitempty"`
	Runner      runner.Info `json:"runner"`
	// Answered is the digest of what answered: the file the runtime
	// loaded when the runner knows it, else the target's digest when the
	// runner started the server on the target's files; empty otherwise.
	Answered string `json:"answered,omitempty"`
	Bound    bool   `json:"bound"`
	// Target is the digest every prediction carries: the target's.
	Target string `json:"target_digest,omitempty"`
}

// GenerateOptions configure Generate.
type GenerateOptions struct {
	// Prompts is the prompts JSONL path.
	Prompts string
	// Template renders each prompt; nil sends the messages to the
	// runtime, which applies its own template (template = "runtime").
	Template *Template
	Runner   runner.Runner
	// Target is the target's digest, stamped on every row.
	Target string
	Run    runner.Options
	// Out is the predictions file written.
	Out string
}

// predictionRow is one line Generate writes.
type predictionRow struct {
	ID              string          `json:"id"`
	Input           string          `json:"input,omitempty"`
	Messages        json.RawMessage `json:"messages"`
	Output          string          `json:"output"`
	Expected        json.RawMessage `json:"expected,omitempty"`
	Tags            []string        `json:"tags,omitempty"`
	Target          string          `json:"target_digest"`
	PromptTokens    int             `json:"prompt_tokens,omitempty"`
	TemplateVersion string          `json:"template_version,omitempty"`
	Runner          *runner.Info    `json:"runner"`
}

// Generate renders every prompt, has the runner answer them and writes the
// predictions, each stamped with the target's digest and the runner.
func Generate(ctx context.Context, o GenerateOptions) (*Generation, error) {
	data, err := os.ReadFile(o.Prompts)
	if err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	ps, err := ReadPrompts(bytes.NewReader(data), filepath.Base(o.Prompts))
	if err != nil {
		return nil, err
	}
	info := o.Runner.Info()
	g := &Generation{Prompts: filepath.Base(o.Prompts), PromptsDigest: digestOf(data),
		Template: TemplateRuntime, Runner: info, Answered: info.Digest, Bound: info.Bound, Target: o.Target}
	if g.Answered == "" && info.Bound {
		g.Answered = o.Target
	}
	if o.Template != nil {
		g.Template, g.TemplateFile, g.TemplateVersion = TemplateRendered, o.Template.File, o.Template.Version
	}
	reqs, stripped, err := requests(ps, o.Template)
	if err != nil {
		return nil, err
	}
	g.BOSStripped = stripped
	resps, err := runner.Run(ctx, o.Runner, reqs, o.Run)
	if err != nil {
		return nil, err
	}
	return g, writeRows(o.Out, ps, reqs, resps, o.Target, g)
}

// requests renders the prompts; stripped says a leading BOS was removed.
func requests(ps []Prompt, t *Template) ([]runner.Request, bool, error) {
	reqs := make([]runner.Request, len(ps))
	stripped := false
	for i, p := range ps {
		reqs[i] = runner.Request{ID: p.ID, Messages: p.Messages}
		if t == nil {
			continue
		}
		s, err := t.Render(p)
		if err != nil {
			return nil, false, fmt.Errorf("prompts line %d: %w", p.Line, err)
		}
		if t.Vars.BOS != "" && strings.HasPrefix(s, t.Vars.BOS) {
			s, stripped = s[len(t.Vars.BOS):], true
		}
		reqs[i].Prompt = s
	}
	return reqs, stripped, nil
}

func writeRows(path string, ps []Prompt, reqs []runner.Request, resps []runner.Response, target string, g *Generation) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("predictions: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i, p := range ps {
		row := predictionRow{ID: p.ID, Input: reqs[i].Prompt, Messages: p.Messages, Output: resps[i].Text,
			Expected: p.Expected, Tags: p.Tags, Target: target, PromptTokens: resps[i].PromptTokens,
			TemplateVersion: g.TemplateVersion, Runner: &g.Runner}
		if err := enc.Encode(row); err != nil {
			return fmt.Errorf("predictions %s: %w", p.ID, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("predictions: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("predictions: %w", err)
	}
	return nil
}

// EvaluatePrompts generates the predictions into opts.OutputDir and
// evaluates them bound to the target.
func EvaluatePrompts(ctx context.Context, g GenerateOptions, opts Options) (*Report, error) {
	if opts.Baseline != nil {
		data, err := os.ReadFile(g.Prompts)
		if err != nil {
			return nil, fmt.Errorf("prompts: %w", err)
		}
		opts.Generation = &Generation{PromptsDigest: digestOf(data)}
		if err := samePrompts(opts); err != nil {
			return nil, err // refused before the model runs
		}
	}
	g.Out = filepath.Join(opts.OutputDir, PredictionsFile)
	gen, err := Generate(ctx, g)
	if err != nil {
		return nil, err
	}
	opts.Predictions, opts.Target, opts.Generation = g.Out, g.Target, gen
	return Evaluate(ctx, opts)
}

// digestOf is the sha256 of data as "sha256:…".
func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
