package sdk

import (
	"encoding/json"
	"errors"
	"fmt"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// DecodeConfig decodes a step's configuration (the JSON the host decoded
// from the step's body with the component's schema) into a T. An empty
// configuration is T's zero value; an error reads "config: …".
func DecodeConfig[T any](raw json.RawMessage) (T, error) {
	var cfg T
	if len(raw) == 0 {
		return cfg, nil
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// Report sends every diagnostic in ds to ev and returns an error with the
// summary of the first error among them, or nil when none is an error. A
// Run that re-checks its configuration ends with it:
//
//	if err := sdk.Report(ev, cfg.diagnostics()); err != nil {
//		return nil, err
//	}
//
// Errors a component returns do not name the step: ckpt adds it.
func Report(ev Events, ds []specv1.Diagnostic) error {
	var first *specv1.Diagnostic
	for i, d := range ds {
		ev.Diagnostic(d)
		if first == nil && d.Severity == specv1.SeverityError {
			first = &ds[i]
		}
	}
	if first == nil {
		return nil
	}
	return errors.New(first.Summary)
}

// OneInput returns the input that attribute attr of the step references,
// or an error when it references none or several ("want one target input,
// got 0").
func OneInput(req *specv1.RunRequest, attr string) (specv1.Input, error) {
	ins := req.InputsFor(attr)
	if len(ins) != 1 {
		return specv1.Input{}, fmt.Errorf("want one %s input, got %d", attr, len(ins))
	}
	return ins[0], nil
}

// Derive returns the metadata of an artifact of kind made from an input
// with metadata m: it carries m's id, license, lineage and notices forward,
// so that license checks and bundles downstream see where it came from.
func Derive(kind string, m specv1.Metadata) *specv1.Metadata {
	return &specv1.Metadata{Kind: kind, ID: m.ID, License: m.License, Lineage: m.Lineage, Notices: m.Notices}
}
