package license

import (
	"encoding/json"
	"errors"
	"fmt"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Entry is the lineage entry of one step input: role base for a model,
// adapter for an adapter, dataset for a dataset (else the kind), with the
// input's step address, id, digest and license.
func Entry(in specv1.Input) specv1.Lineage {
	role := in.Metadata.Kind
	if role == "model" {
		role = "base"
	}
	return specv1.Lineage{Role: role, ID: in.Metadata.ID, Digest: in.Digest, License: in.Metadata.License, Step: in.Step}
}

// Combine returns what a step made from inputs carries: the conjunction of
// their licenses (And), their lineage (each input's own lineage, or the
// input itself when it has none; duplicates removed, order kept) and their
// notices (duplicates removed, order kept).
func Combine(inputs ...specv1.Input) specv1.Metadata {
	var out specv1.Metadata
	var licenses []string
	seenL := map[specv1.Lineage]bool{}
	seenN := map[string]bool{}
	for _, in := range inputs {
		licenses = append(licenses, in.Metadata.License)
		lineage := in.Metadata.Lineage
		if len(lineage) == 0 {
			lineage = []specv1.Lineage{Entry(in)}
		}
		for _, l := range lineage {
			if !seenL[l] {
				seenL[l] = true
				out.Lineage = append(out.Lineage, l)
			}
		}
		for _, n := range in.Metadata.Notices {
			if !seenN[n] {
				seenN[n] = true
				out.Notices = append(out.Notices, n)
			}
		}
	}
	out.License = And(licenses...)
	return out
}

// TrainingDatasets returns the lineage entries (role dataset) that an
// adapter's training metadata names: "datasets" = [{id, license, digest}]
// (objects) or ["id", ...], and "dataset" = "id" or {id, license}. A
// dataset without a license keeps an empty one: the policy reports it.
func TrainingDatasets(training json.RawMessage) ([]specv1.Lineage, error) {
	if len(training) == 0 {
		return nil, nil
	}
	var t struct {
		Dataset  json.RawMessage   `json:"dataset"`
		Datasets []json.RawMessage `json:"datasets"`
	}
	if err := json.Unmarshal(training, &t); err != nil {
		return nil, fmt.Errorf("training metadata: %w", err)
	}
	raws := t.Datasets
	if len(t.Dataset) > 0 && string(t.Dataset) != "null" {
		raws = append([]json.RawMessage{t.Dataset}, raws...)
	}
	var out []specv1.Lineage
	for i, raw := range raws {
		l, err := datasetEntry(raw)
		if err != nil {
			return nil, fmt.Errorf("training metadata: datasets[%d]: %w", i, err)
		}
		out = append(out, l)
	}
	return out, nil
}

func datasetEntry(raw json.RawMessage) (specv1.Lineage, error) {
	l := specv1.Lineage{Role: "dataset"}
	var id string
	if json.Unmarshal(raw, &id) == nil {
		l.ID = id
		return l, nil
	}
	var d struct{ ID, Name, License, Digest string }
	if err := json.Unmarshal(raw, &d); err != nil {
		return l, errors.New("want a dataset id or {id, license}")
	}
	l.ID, l.License, l.Digest = d.ID, d.License, d.Digest
	if l.ID == "" {
		l.ID = d.Name
	}
	return l, nil
}
