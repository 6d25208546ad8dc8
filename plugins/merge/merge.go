package merge

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ckpt-dev/ckpt/packaging/compat"
	lic "github.com/ckpt-dev/ckpt/packaging/license"
	"github.com/ckpt-dev/ckpt/packaging/lora"
	"github.com/ckpt-dev/ckpt/packaging/mistral"
	"github.com/ckpt-dev/ckpt/packaging/peft"
	"github.com/ckpt-dev/ckpt/packaging/safetensors"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// component is the merge "lora" step.
type component struct{ desc specv1.Component }

type config struct {
	Base      string    `json:"base"`
	Adapters  []string  `json:"adapters"`
	Weights   []float64 `json:"weights"`
	DType     string    `json:"dtype"`
	ID        string    `json:"id"`
	ShardSize string    `json:"shard_size"`
	// Parallelism is lora.Options.Workers (0: GOMAXPROCS).
	Parallelism int `json:"parallelism"`
}

func (c component) Describe() specv1.Component { return c.desc }

// Validate checks the attributes and, with input metadata, that every
// adapter was trained on this merge's base.
func (c component) Validate(ctx context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	cfg, err := sdk.DecodeConfig[config](req.Config)
	if err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: err.Error()}}
	}
	ds := cfg.diagnostics()
	ds = append(ds, baseMismatch(req.Inputs)...)
	return append(ds, adapterErrors(ctx, req.Inputs)...)
}

// adapterErrors applies the adapter rules of ckpt check --runtime
// vllm-lora (compat.CheckAdapter) to every adapter input with files and
// returns the errors: a merge refuses what the check refuses, even from an
// adapter artifact an older ckpt accepted.
func adapterErrors(ctx context.Context, inputs []specv1.Input) []specv1.Diagnostic {
	var ds []specv1.Diagnostic
	n := 0
	for _, in := range inputs {
		if in.Attr != "adapters" {
			continue
		}
		path := []string{"adapters", strconv.Itoa(n)}
		n++
		if in.Dir == "" {
			continue
		}
		errs, err := compat.AdapterErrors(ctx, in.Dir, path...)
		if err != nil {
			ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Path: path, Summary: fmt.Sprintf("adapter %s: %v", in.Step, err)})
			continue
		}
		for _, d := range errs {
			d.Summary = "adapter " + in.Step + ": " + d.Summary
			ds = append(ds, d)
		}
	}
	return ds
}

func (cfg config) diagnostics() []specv1.Diagnostic {
	var ds []specv1.Diagnostic
	bad := func(path []string, format string, a ...any) {
		ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Summary: fmt.Sprintf(format, a...), Path: path})
	}
	if cfg.Base == "" {
		bad([]string{"base"}, "base is required")
	}
	if len(cfg.Adapters) == 0 {
		bad([]string{"adapters"}, "adapters is required: at least one adapter")
	}
	if len(cfg.Weights) > 0 && len(cfg.Weights) != len(cfg.Adapters) {
		bad([]string{"weights"}, "%d weights for %d adapters: give one weight per adapter", len(cfg.Weights), len(cfg.Adapters))
	}
	if cfg.DType != "" {
		if _, err := safetensors.ParseShortName(cfg.DType); err != nil {
			bad([]string{"dtype"}, "%v", err)
		}
	}
	if _, err := lora.ParseSize(cfg.ShardSize); err != nil {
		bad([]string{"shard_size"}, "%v", err)
	}
	if cfg.Parallelism < 0 {
		bad([]string{"parallelism"}, "parallelism = %d: want a positive number of tensors merged at once", cfg.Parallelism)
	}
	return ds
}

// baseMismatch reports adapters whose lineage base is not the merge's base.
func baseMismatch(inputs []specv1.Input) []specv1.Diagnostic {
	var base *specv1.Input
	for i := range inputs {
		if inputs[i].Attr == "base" {
			base = &inputs[i]
		}
	}
	if base == nil || base.Digest == "" {
		return nil
	}
	var ds []specv1.Diagnostic
	n := 0
	for _, in := range inputs {
		if in.Attr != "adapters" {
			continue
		}
		for _, l := range in.Metadata.Lineage {
			if l.Role == "base" && l.Digest != "" && l.Digest != base.Digest {
				ds = append(ds, specv1.Diagnostic{Severity: specv1.SeverityError, Path: []string{"adapters", strconv.Itoa(n)},
					Summary: fmt.Sprintf("adapter %s was trained on %s, not on this merge's base %s", in.Step, l.Step, base.Step)})
			}
			break
		}
		n++
	}
	return ds
}

// Run merges the adapters into the base and returns the merged model's
// metadata.
func (c component) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	cfg, err := sdk.DecodeConfig[config](req.Config)
	if err != nil {
		return nil, err
	}
	ds := append(cfg.diagnostics(), baseMismatch(req.Inputs)...)
	if err := sdk.Report(ev, append(ds, adapterErrors(ctx, req.Inputs)...)); err != nil {
		return nil, err
	}
	bases, adapters := req.InputsFor("base"), req.InputsFor("adapters")
	if len(bases) != 1 || len(adapters) != len(cfg.Adapters) {
		return nil, fmt.Errorf("want 1 base and %d adapter inputs, got %d and %d", len(cfg.Adapters), len(bases), len(adapters))
	}
	o, err := cfg.options(req.OutputDir, bases[0], adapters)
	if err != nil {
		return nil, err
	}
	o.Progress = func(done, total int64, _ string) { ev.Progress(done, total, "tensors") }
	if err := lora.Merge(ctx, o); err != nil {
		return nil, err
	}
	return cfg.metadata(bases[0], adapters, o.DType), nil
}

func (cfg config) options(out string, base specv1.Input, adapters []specv1.Input) (lora.Options, error) {
	size, _ := lora.ParseSize(cfg.ShardSize)
	o := lora.Options{Base: base.Dir, Out: out, DType: cfg.DType, ShardSize: size, Workers: cfg.Parallelism}
	if o.DType == "" {
		o.DType = base.Metadata.DType
	}
	for i, a := range adapters {
		var x struct {
			Format string `json:"format"`
			Basis  string `json:"basis"`
		}
		if len(a.Metadata.Extra) > 0 {
			if err := json.Unmarshal(a.Metadata.Extra, &x); err != nil {
				return o, fmt.Errorf("adapter %s: metadata extra: %w", a.Step, err)
			}
		}
		if x.Format == "" {
			return o, fmt.Errorf("adapter %s: metadata names no format (peft or mistral-finetune)", a.Step)
		}
		in := lora.AdapterInput{Dir: a.Dir, Format: peft.Format(x.Format), Basis: mistral.Basis(x.Basis), Weight: 1}
		if len(cfg.Weights) > 0 {
			in.Weight = cfg.Weights[i]
		}
		if in.Weight == 0 {
			continue // contributes nothing; still listed in the lineage
		}
		o.Adapters = append(o.Adapters, in)
	}
	if len(o.Adapters) == 0 {
		return o, fmt.Errorf("every adapter has weight 0: nothing to merge")
	}
	return o, nil
}

// metadata derives the merged model's metadata from its inputs.
func (cfg config) metadata(base specv1.Input, adapters []specv1.Input, dtype string) *specv1.Metadata {
	bm := base.Metadata
	md := &specv1.Metadata{Kind: "merge", ID: cfg.ID, Format: bm.Format, Architecture: bm.Architecture,
		DType: dtype, Params: bm.Params}
	if md.ID == "" {
		md.ID = bm.ID + "-merged"
	}
	licenses := []string{bm.License}
	notices := append([]string(nil), bm.Notices...)
	lineage := []specv1.Lineage{{Role: "base", ID: bm.ID, Digest: base.Digest, License: bm.License, Step: base.Step}}
	lineage = append(lineage, bm.Lineage...)
	var training []json.RawMessage
	for _, a := range adapters {
		am := a.Metadata
		licenses = append(licenses, am.License)
		notices = append(notices, am.Notices...)
		lineage = append(lineage, specv1.Lineage{Role: "adapter", ID: am.ID, Digest: a.Digest, License: am.License, Step: a.Step})
		lineage = append(lineage, am.Lineage...)
		entry, _ := json.Marshal(struct {
			Adapter  string          `json:"adapter"`
			ID       string          `json:"id,omitempty"`
			Training json.RawMessage `json:"training,omitempty"`
		}{a.Step, am.ID, am.Training})
		training = append(training, entry)
	}
	md.License = lic.And(licenses...)
	md.Notices = dedupe(notices)
	md.Lineage = dedupe(lineage)
	md.Training, _ = json.Marshal(training)
	return md
}

// dedupe returns s without repeated elements, first occurrences in order.
func dedupe[T comparable](s []T) []T {
	seen := map[T]bool{}
	var out []T
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
