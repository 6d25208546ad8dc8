package compat

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Options tune a check. The zero value checks every profile the folder's
// layout claims, with no model ids and no training templates.
type Options struct {
	// Profiles to apply (vllm-mistral, mistral-inference, transformers);
	// empty: every profile the layout claims (see Claims).
	Profiles []string
	// IDs are model ids to check (the artifact's id and its lineage) beside
	// those found in the folder (README.md base_model, config.json
	// _name_or_path).
	IDs []string
	// TrainingTemplates are chat templates adapters were trained with; the
	// folder's template must render the same text.
	TrainingTemplates []TrainingTemplate
	// TemplateReference, when set, is the template source whose text the
	// folder's templates must render instead of the canonical format of
	// the tokenizer version (for a deliberately different format).
	TemplateReference string
}

// TrainingTemplate is an adapter's recorded training chat template.
type TrainingTemplate struct {
	// Source names where it was recorded, e.g. "adapter.support training metadata".
	Source   string
	Template string
}

// checker is the state of one check run.
type checker struct {
	b    *folder
	rep  *report
	opts Options
}

// Check applies the selected profiles to the folder dir and returns the
// findings, errors first. It fails only when dir cannot be read or a
// profile name is unknown; every problem with the folder's files is a
// finding.
func Check(ctx context.Context, dir string, opts Options) ([]specv1.Finding, error) {
	rep := newReport()
	b, err := openFolder(dir, rep)
	if err != nil {
		return nil, err
	}
	names := opts.Profiles
	if len(names) == 0 {
		names = claims(b)
		if len(names) == 0 {
			rep.add(FilesMissing, "params.json", "", "neither params.json with consolidated*.safetensors (native) nor config.json with model*.safetensors (transformers) found: no runtime can load %s", dir)
		}
	}
	var checks []namedCheck
	seen := map[string]bool{}
	for _, n := range names {
		p, ok := profileByName(n)
		if !ok {
			return nil, fmt.Errorf("compat: unknown runtime profile %q (known: %s)", n, strings.Join(ProfileNames(), ", "))
		}
		for _, c := range p.checks {
			if !seen[c.name] {
				seen[c.name] = true
				checks = append(checks, c)
			}
		}
	}
	c := &checker{b: b, rep: rep, opts: opts}
	for _, nc := range checks {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("compat: check %s: %w", dir, err)
		}
		c.run(nc)
	}
	return rep.sorted(), nil
}

// run applies one check; a panic becomes a check.internal finding.
func (c *checker) run(nc namedCheck) {
	defer func() {
		if r := recover(); r != nil {
			c.rep.add(CheckInternal, "", nc.name, "rule %s crashed: %v; please report this bug with the folder\n%s", nc.name, r, debug.Stack())
		}
	}()
	nc.fn(c)
}

// Claims returns the profiles a folder's layout claims: the mistral
// profiles for params.json or consolidated weights (mistral-inference only
// for unsharded weights), transformers for config.json with model weights,
// vllm-lora for a LoRA adapter folder.
func Claims(dir string) ([]string, error) {
	b, err := openFolder(dir, newReport())
	if err != nil {
		return nil, err
	}
	return claims(b), nil
}

func claims(b *folder) []string {
	if isAdapter(b) {
		return []string{"vllm-lora"}
	}
	var out []string
	w := nativeWeights(b)
	if b.has("params.json") || len(w.single)+len(w.shards) > 0 {
		out = append(out, "vllm-mistral")
		if len(w.shards) == 0 && !b.has(w.indexName) {
			out = append(out, "mistral-inference")
		}
	}
	if h := hfWeights(b); b.has("config.json") && len(h.single)+len(h.shards) > 0 {
		out = append(out, "transformers")
	}
	return out
}
