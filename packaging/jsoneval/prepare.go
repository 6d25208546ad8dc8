package jsoneval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/runner"
)

// PrepareOptions say what to run on which prompts.
type PrepareOptions struct {
	Prompts string
	// Target is the model folder or GGUF file; Digest the digest every
	// prediction carries.
	Target, Digest string
	Runner         runner.Config
	// Template is "" (ckpt renders the target's own) or TemplateRuntime.
	Template string
	// Scratch holds a managed server's files.
	Scratch  string
	Progress func(done, total int)
}

// Prepare loads the target's chat template (unless the runtime applies its
// own), takes its EOS as the stop sequence and starts the runner. The
// caller closes the runner.
func Prepare(ctx context.Context, o PrepareOptions) (GenerateOptions, runner.Runner, error) {
	g := GenerateOptions{Prompts: o.Prompts, Target: o.Digest, Run: o.Runner.RunOptions(o.Progress)}
	var stop []string
	tmpl, err := LoadTemplate(templateDir(o.Target))
	if err != nil {
		// A GGUF export ships its template as tokenizer.chat_template.
		if f, ferr := o.Runner.GGUF(o.Target); ferr == nil {
			tmpl, err = LoadGGUFTemplate(f)
		}
	}
	switch {
	case err == nil:
		stop = []string{tmpl.Vars.EOS}
		if o.Template != TemplateRuntime {
			g.Template = tmpl
		}
	case o.Template != TemplateRuntime:
		return g, nil, err
	}
	r, err := o.Runner.Start(ctx, o.Target, o.Scratch, g.Template == nil, stop)
	g.Runner = r
	return g, r, err
}

func templateDir(p string) string {
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return filepath.Dir(p)
	}
	return p
}

// RunPrompts prepares the runner, has the target answer the prompts,
// evaluates the answers into opts.OutputDir and stops the runner.
func RunPrompts(ctx context.Context, p PrepareOptions, opts Options) (*Report, error) {
	g, r, err := Prepare(ctx, p)
	if err != nil {
		return nil, err
	}
	rep, err := EvaluatePrompts(ctx, g, opts)
	if cerr := r.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return rep, err
}

// GenerateInto prepares the runner, has the target answer the prompts and
// writes dir/PredictionsFile and dir/GenerationFile, then stops the runner:
// what a runner step's artifact holds.
func GenerateInto(ctx context.Context, p PrepareOptions, dir string) (*Generation, error) {
	g, r, err := Prepare(ctx, p)
	if err != nil {
		return nil, err
	}
	g.Out = filepath.Join(dir, PredictionsFile)
	gen, err := Generate(ctx, g)
	if cerr := r.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(gen, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("generation: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, GenerationFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("generation: %w", err)
	}
	return gen, nil
}

// ReadGeneration reads dir/GenerationFile, as a runner step (built in or
// a plugin's) wrote it.
func ReadGeneration(dir string) (*Generation, error) {
	p := filepath.Join(dir, GenerationFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("generation: %w", err)
	}
	var g Generation
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if g.Target == "" || g.PromptsDigest == "" || g.Runner.Kind == "" {
		return nil, fmt.Errorf("%s: target_digest, prompts_digest and runner.kind are required", p)
	}
	return &g, nil
}

// DigestTarget is the digest of a model outside the store: a file's
// sha256, or for a folder the sha256 of its listing of "digest  path"
// lines (files sorted by path, symlinks followed).
func DigestTarget(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("target: %w", err)
	}
	if !fi.IsDir() {
		return runner.FileDigest(path)
	}
	var lines []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		sum, err := runner.FileDigest(p)
		rel, _ := filepath.Rel(path, p)
		lines = append(lines, sum+"  "+filepath.ToSlash(rel)+"\n")
		return err
	})
	if err != nil {
		return "", fmt.Errorf("target %s: %w", path, err)
	}
	sort.Strings(lines)
	h := sha256.Sum256([]byte(strings.Join(lines, "")))
	return "sha256:" + hex.EncodeToString(h[:]), nil
}
