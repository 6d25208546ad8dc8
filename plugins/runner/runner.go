package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	"github.com/ckpt-dev/ckpt/packaging/runner"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type component struct{ desc specv1.Component }

func (c component) Describe() specv1.Component { return c.desc }

// config is a runner step: what runs on which prompts, and the runner's
// own settings (runner.Config, whose names the schema shares).
type config struct {
	Target, Prompts, Template string
	Runner                    *runner.Config
}

// parse splits the step's config into its own attributes and the runner
// settings of kind; every problem is a diagnostic with its attribute path.
func parse(kind string, raw json.RawMessage) (*config, []specv1.Diagnostic) {
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &attrs); err != nil {
		return nil, []specv1.Diagnostic{diag("invalid runner config: " + err.Error())}
	}
	c := &config{}
	for name, dst := range map[string]*string{"target": &c.Target, "prompts": &c.Prompts, "template": &c.Template} {
		if v, ok := attrs[name]; ok {
			_ = json.Unmarshal(v, dst) // the schema typed it; null leaves ""
			delete(attrs, name)
		}
	}
	attrs["kind"], _ = json.Marshal(kind)
	rest, _ := json.Marshal(attrs)
	r, err := runner.Decode(rest)
	if err != nil {
		return nil, []specv1.Diagnostic{diag(err.Error())}
	}
	c.Runner = r
	var ds []specv1.Diagnostic
	if c.Target == "" {
		ds = append(ds, diag("target is required: the model that answers", "target"))
	}
	if c.Prompts == "" {
		ds = append(ds, diag("prompts is required: the JSONL file the target answers", "prompts"))
	}
	if c.Template != "" && c.Template != jsoneval.TemplateRuntime {
		ds = append(ds, diag(fmt.Sprintf("template is %q; the only value is \"runtime\" (default: ckpt renders the target's own template)", c.Template), "template"))
	}
	for _, d := range r.Check() {
		d.Path = d.Path[1:] // runner.Config names its settings under "runner"
		ds = append(ds, d)
	}
	return c, ds
}

func diag(summary string, path ...string) specv1.Diagnostic {
	return specv1.Diagnostic{Severity: specv1.SeverityError, Summary: summary, Path: path}
}

func (c component) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	_, ds := parse(c.desc.Type, req.Config)
	return ds
}

func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, ds := parse(c.desc.Type, req.Config)
	if len(ds) > 0 {
		return nil, errors.New(ds[0].Summary)
	}
	ts := req.InputsFor("target")
	if len(ts) == 0 {
		return nil, errors.New("no target input")
	}
	p := jsoneval.PrepareOptions{Prompts: cfg.Prompts, Target: ts[0].Dir, Digest: ts[0].Digest, Runner: *cfg.Runner,
		Template: cfg.Template, Scratch: req.ScratchDir,
		Progress: func(done, total int) { ev.Progress(int64(done), int64(total), "prompts") }}
	gen, err := jsoneval.GenerateInto(ctx, p, req.OutputDir)
	if err != nil {
		return nil, err
	}
	info := gen.Runner
	ev.Log(fmt.Sprintf("runner %s %s, model %s, bound %t, template %s", info.Kind, info.Endpoint, info.Model, gen.Bound, gen.Template))
	t := ts[0].Metadata
	return &specv1.Metadata{Kind: specv1.KindRunner, License: t.License, Lineage: t.Lineage, Notices: t.Notices,
		Outputs: map[string]string{OutputPromptsDigest: gen.PromptsDigest, OutputBound: strconv.FormatBool(gen.Bound), OutputAnswered: gen.Answered}}, nil
}
